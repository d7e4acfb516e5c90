"""Staff accounts a firm runs itself: each member's settings, invitations, sign-in counters."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffProfile(models.Model):
    """What the staff workspace keeps about a staff account beyond Django's ``User``."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="staff_profile")
    #: The workspace's language is the member's own choice, never the public pages' cookie.
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    #: A password someone else saw (``ensure_admin`` printed it): replaced before any page.
    must_change_password = models.BooleanField(default=False)

    class Meta:
        permissions = [("manage_staff", _("Can invite, change and deactivate staff accounts"))]

    def __str__(self) -> str:
        return f"profile of user {self.user_id}"


class StaffInvitation(models.Model):
    """A one-time link to set a first password: only the token's keyed hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="staff_invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    #: Set when the link is used or replaced by a newer one: either way it works no more.
    closed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"invitation {self.pk} for user {self.user_id}"


class SignInCounter(models.Model):
    """Failed sign-ins in one window for one key (an account, or an account from one address
    or one known browser): written only by the atomic statements in services.sign_in_limits.
    ``account`` is the keyed hash of the username, so an unlock can find every key of it."""

    key = models.CharField(max_length=200, primary_key=True)
    account = models.CharField(max_length=40, db_index=True)
    failures = models.PositiveIntegerField(default=0)
    window_start = models.FloatField()

    def __str__(self) -> str:
        return self.key
