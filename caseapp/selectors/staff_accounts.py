"""Staff accounts: permissions, who reviews, two-factor devices."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef, Subquery

#: The group that reviews and supervises (its flag stays in ``StaffAccess`` for the pages).
SUPERVISOR_GROUP = "Supervisor"


@dataclass(frozen=True)
class StaffAccess:
    """What every staff page asks about the user: what the second factor needs (decided from
    their devices as they are now), and their own settings (issue 20). Their permissions are
    Django's ``ModelBackend``'s."""

    has_device: bool
    supervisor: bool
    has_backup_codes: bool = False
    must_change_password: bool = False
    language: str = "en"


def staff_access(*, user) -> StaffAccess:
    """``StaffAccess`` in one query, kept on the user object for the rest of the request."""
    cached = getattr(user, "_staff_access", None)
    if cached is not None:
        return cached
    from django_otp.plugins.otp_static.models import StaticDevice

    from caseapp.models import SealedTOTPDevice, StaffProfile

    profile = StaffProfile.objects.filter(user=OuterRef("pk"))
    row = get_user_model().objects.filter(pk=user.pk).annotate(
        has_device=Exists(SealedTOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
        supervisor=Exists(Group.objects.filter(user=OuterRef("pk"), name=SUPERVISOR_GROUP)),
        has_backup=Exists(StaticDevice.objects.filter(user=OuterRef("pk"),
                                                      name=BACKUP_DEVICE_NAME)),
        must_change=Exists(profile.filter(must_change_password=True)),
        language=Subquery(profile.values("language")[:1]),
    ).values_list("has_device", "supervisor", "has_backup", "must_change", "language").first()
    has_device, supervisor, has_backup, must_change, language = row or (False,) * 4 + (None,)
    access = StaffAccess(has_device=has_device, supervisor=supervisor,
                         has_backup_codes=has_backup, must_change_password=must_change,
                         language=language or "en")
    user._staff_access = access
    return access


def staff_members() -> list[tuple[int, str]]:
    """Every staff account as ``(id, username)``, by username: whom the audit log can name."""
    return list(get_user_model().objects.order_by("username").values_list("id", "username"))


def staff_reviewers() -> list:
    """Active users who may review submissions (the people work can be assigned to), by
    username, with only ``id`` and ``username`` loaded."""
    return list(get_user_model().objects.with_perm(
        "caseapp.review_submission", backend="django.contrib.auth.backends.ModelBackend",
    ).distinct().order_by("username").only("id", "username"))


def staff_totp_device(*, user, confirmed: bool):
    from caseapp.models import SealedTOTPDevice

    return SealedTOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("id").first()


def staff_backup_device(*, user):
    """The user's backup codes (django-otp's static device), or None."""
    from django_otp.plugins.otp_static.models import StaticDevice

    return StaticDevice.objects.filter(user=user, name=BACKUP_DEVICE_NAME).first()


def staff_backup_codes_left(*, user) -> int:
    device = staff_backup_device(user=user)
    return device.token_set.count() if device is not None else 0


BACKUP_DEVICE_NAME = "backup codes"


def staff_second_factor_state(*, user, optional: bool = False) -> str:
    """``enrolled`` (has a device) or ``required`` (must enrol one): asked on every staff
    request, answered by the query ``staff_access`` makes anyway. ``optional`` (tests only,
    ``CASEAPP_SECOND_FACTOR_OPTIONAL``) lets a user without a device through."""
    if staff_access(user=user).has_device:
        return "enrolled"
    return "optional" if optional else "required"
