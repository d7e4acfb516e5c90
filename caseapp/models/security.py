"""Staff authenticators and the rate limiter's buckets."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from caseapp.crypto import EncryptedTextField


class SealedTOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """A staff member's authenticator (TOTP), its seed sealed like personal data.

    django-otp's ``TOTPDevice`` keeps the seed as plain hex, readable in any dump; this model
    has the same fields with ``key`` in an ``EncryptedTextField``, and borrows django-otp's own
    code for everything else (verification, drift, replay and throttling). django-otp finds it
    like any device (``devices_for_user``, the middleware, the admin site); migration 0012
    moved the existing devices here.
    """

    key = EncryptedTextField(default=default_key)
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    bin_key = TOTPDevice.bin_key
    verify_token = TOTPDevice.verify_token
    get_throttle_factor = TOTPDevice.get_throttle_factor
    config_url = TOTPDevice.config_url
    _read_str_from_settings = TOTPDevice._read_str_from_settings

    class Meta(Device.Meta):
        verbose_name = _("authenticator app")


class RateLimitBucket(models.Model):
    """One rate-limit bucket (caseapp.ratelimit), when no Redis is configured: ``tat`` is the
    time (Unix seconds) at which the bucket will be full again. Written only by one atomic
    SQL statement in caseapp.ratelimit. Keys hold no personal data: emails are keyed hashes."""

    key = models.CharField(max_length=200, primary_key=True)
    tat = models.FloatField()

    def __str__(self) -> str:
        return self.key
