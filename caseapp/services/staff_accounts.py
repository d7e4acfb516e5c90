"""Staff sign-in: two-factor enrolment and verification, and what the session remembers of it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest

from caseapp.selectors.staff_accounts import staff_second_factor_state
from caseapp.services.audit import audit_record

#: Whether the user has a device, or must enrol one, is decided once at sign-in and kept in
#: the session under this key, so ordinary staff pages cost no extra query.
OTP_SESSION_KEY = "staff_second_factor"


def staff_totp_device_pending(*, user: AbstractBaseUser):
    """The unconfirmed TOTP device being enrolled (made on first visit to the set-up page)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator",
                                               confirmed=False)


def staff_second_factor_verify(*, request: HttpRequest, device, token: str) -> bool:
    """Check a code (django-otp throttles repeated failures) and mark the session verified."""
    from django_otp import login as otp_login

    if device.verify_token(token):
        otp_login(request, device)
        audit_record(actor=request.user, action="auth.otp_verified", request=request)
        return True
    audit_record(actor=request.user, action="auth.otp_failed", request=request)
    return False


@transaction.atomic
def staff_second_factor_enrol(*, request: HttpRequest, device, token: str) -> bool:
    if not staff_second_factor_verify(request=request, device=device, token=token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=request.user, action="auth.otp_enrolled", request=request)
    return True

def second_factor_remember(request: HttpRequest, user) -> str:
    """Decide at sign-in (any sign-in: staff, admin, tests) and keep it in the session."""
    state = staff_second_factor_state(
        user=user, required_for_supervisors=settings.CASEAPP_OTP_REQUIRED_FOR_SUPERVISORS
    )
    request.session[OTP_SESSION_KEY] = state
    return state
