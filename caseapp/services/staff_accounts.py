"""Staff sign-in: two-factor enrolment, verification and backup codes."""

from __future__ import annotations

import secrets

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest

from caseapp import crypto
from caseapp.models import SealedTOTPDevice
from caseapp.selectors.staff_accounts import BACKUP_DEVICE_NAME, staff_backup_device
from caseapp.services.audit import audit_record

BACKUP_CODE_COUNT = 10
#: No 0/o, 1/l/i: a code read off paper is typed right the first time.
_BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def staff_totp_device_pending(*, user: AbstractBaseUser) -> SealedTOTPDevice:
    """The unconfirmed TOTP device being enrolled (made on first visit to the set-up page)."""
    device = SealedTOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    return device or SealedTOTPDevice.objects.create(user=user, name="authenticator",
                                                     confirmed=False)


def backup_code_normalise(code: str) -> str:
    return "".join(ch for ch in code.casefold() if ch.isalnum())


def backup_code_digest(code: str) -> str:
    """What the database keeps of a backup code: a keyed hash that fits django-otp's
    16-character token column, so a dump holds no usable code."""
    return crypto.keyed_digest(backup_code_normalise(code), purpose="otp backup code")[:16]


def staff_second_factor_verify(*, request: HttpRequest, device, token: str) -> bool:
    """Check a code (django-otp throttles repeated failures) and mark the session verified.

    ``token`` is a code from the authenticator, or one of the user's backup codes, which
    then works no more."""
    from django_otp import login as otp_login

    if not token.isdigit():
        backup = staff_backup_device(user=request.user)
        if backup is not None and backup.verify_token(backup_code_digest(token)):
            otp_login(request, backup)
            audit_record(actor=request.user, action="auth.otp_backup_code_used",
                         details={"left": backup.token_set.count()}, request=request)
            return True
    elif device.verify_token(token):
        otp_login(request, device)
        audit_record(actor=request.user, action="auth.otp_verified", request=request)
        return True
    audit_record(actor=request.user, action="auth.otp_failed", request=request)
    return False


@transaction.atomic
def staff_second_factor_enrol(*, request: HttpRequest, device, token: str) -> bool:
    if not token.isdigit() or not staff_second_factor_verify(request=request, device=device,
                                                             token=token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=request.user, action="auth.otp_enrolled", request=request)
    return True


@transaction.atomic
def staff_backup_codes_generate(*, request: HttpRequest) -> list[str]:
    """New backup codes for the signed-in user, replacing any earlier ones. Returned once, to
    be shown once: only their keyed hashes are stored."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    device, _ = StaticDevice.objects.get_or_create(user=request.user, name=BACKUP_DEVICE_NAME,
                                                   defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = ["".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(10))
             for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=backup_code_digest(code)) for code in codes)
    audit_record(actor=request.user, action="auth.otp_backup_codes_made", request=request)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def staff_sessions_end(*, user_ids: set[int], keep: str | None = None) -> int:
    """End the sign-ins of these users (all but the session ``keep``), returning how many.

    Sessions are staff sign-ins only (the public check has none), so reading each live one to
    find its user stays small."""
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    wanted = {str(pk) for pk in user_ids}
    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.session_key != keep and session.get_decoded().get(SESSION_KEY) in wanted:
            ended.append(session.session_key)
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)


@transaction.atomic
def staff_second_factor_reset(*, user: AbstractBaseUser, actor: AbstractBaseUser | None = None,
                              request: HttpRequest | None = None) -> int:
    """A lost phone: remove the user's authenticators and backup codes and end their
    sessions, half-signed-in ones too; they enrol again at their next sign-in."""
    from django_otp.plugins.otp_static.models import StaticDevice

    removed, _ = SealedTOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    staff_sessions_end(user_ids={user.pk})
    audit_record(actor=actor, action="auth.otp_reset", target=user.get_username(),
                 details={"devices_removed": removed}, request=request)
    return removed
