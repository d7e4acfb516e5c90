"""Staff accounts: permissions, who reviews, two-factor devices."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection

#: The group that reviews and supervises (its flag stays in ``StaffAccess`` for the pages).
SUPERVISOR_GROUP = "Supervisor"


def _auth_tables() -> dict[str, str]:
    """The auth tables' names, from the models, for the query below written in SQL."""
    User = get_user_model()
    return {
        "user": User._meta.db_table,
        "user_groups": User.groups.through._meta.db_table,
        "user_perms": User.user_permissions.through._meta.db_table,
        "group_perms": Permission.group_set.through._meta.db_table,
        "perm": Permission._meta.db_table,
        "content_type": Permission._meta.get_field("content_type").related_model._meta.db_table,
    }


@dataclass(frozen=True)
class StaffAccess:
    """What every staff page asks about the user: their permissions, what the second factor
    needs (decided from their devices as they are now), and their own settings (issue 20)."""

    permissions: frozenset[str]
    has_device: bool
    supervisor: bool
    has_backup_codes: bool = False
    must_change_password: bool = False
    language: str = "en"


def staff_access(*, user) -> StaffAccess:
    """``StaffAccess`` in one query, kept on the user object for the rest of the request.

    ``permissions`` is ``{"app_label.codename"}`` the user holds directly or through groups:
    what Django's ``ModelBackend`` finds with two ORM queries (``caseapp.auth.PermissionBackend``
    answers from it); the second factor's facts and the member's settings come in the same
    round trip. Against Django's way (``ModelBackend``'s two queries and the facts as ORM
    ``Exists``), at a million rows on PostgreSQL: 0.6 against 4.2 ms a request in process,
    about 15 % of a queue or search page (docs/decisions.md, "Framework first")."""
    cached = getattr(user, "_staff_access", None)
    if cached is not None:
        return cached
    from django_otp.plugins.otp_static.models import StaticDevice

    from caseapp.models import SealedTOTPDevice, StaffProfile

    tables = {**_auth_tables(), "device": SealedTOTPDevice._meta.db_table,
              "group": Group._meta.db_table, "static": StaticDevice._meta.db_table,
              "profile": StaffProfile._meta.db_table}
    # One row of flags joined to the permission rows, so a user with no permission still
    # gets their flags. Written in SQL: the ORM cannot join a row of flags to a union.
    sql = """
        SELECT flags.has_device, flags.supervisor, flags.has_backup, flags.must_change,
               flags.language, perms.app_label, perms.codename
        FROM (SELECT
                EXISTS (SELECT 1 FROM {device} d WHERE d.user_id = %s AND d.confirmed)
                    AS has_device,
                EXISTS (SELECT 1 FROM {user_groups} ug JOIN {group} g ON g.id = ug.group_id
                        WHERE ug.user_id = %s AND g.name = %s) AS supervisor,
                EXISTS (SELECT 1 FROM {static} s WHERE s.user_id = %s AND s.name = %s)
                    AS has_backup,
                EXISTS (SELECT 1 FROM {profile} p WHERE p.user_id = %s
                        AND p.must_change_password) AS must_change,
                (SELECT p.language FROM {profile} p WHERE p.user_id = %s) AS language) flags
        LEFT JOIN (
            SELECT ct.app_label, p.codename FROM {perm} p
            JOIN {content_type} ct ON ct.id = p.content_type_id
            WHERE p.id IN (
                SELECT up.permission_id FROM {user_perms} up WHERE up.user_id = %s
                UNION
                SELECT gp.permission_id FROM {group_perms} gp
                JOIN {user_groups} ug ON ug.group_id = gp.group_id
                WHERE ug.user_id = %s)) perms ON 1 = 1""".format(**tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, user.pk, SUPERVISOR_GROUP, user.pk, BACKUP_DEVICE_NAME,
                             user.pk, user.pk, user.pk, user.pk])
        rows = cursor.fetchall()
    first = rows[0]
    access = StaffAccess(
        permissions=frozenset(f"{row[5]}.{row[6]}" for row in rows if row[5]),
        has_device=bool(first[0]), supervisor=bool(first[1]), has_backup_codes=bool(first[2]),
        must_change_password=bool(first[3]), language=first[4] or "en")
    user._staff_access = access
    return access


def staff_members() -> list[tuple[int, str]]:
    """Every staff account as ``(id, username)``, by username: whom the audit log can name."""
    return list(get_user_model().objects.order_by("username").values_list("id", "username"))


def staff_reviewers() -> list:
    """Active users who may review submissions (the people work can be assigned to), by
    username, with only ``id`` and ``username`` loaded: Django's own ``with_perm`` (the SQL
    that stood here saved about 5 % of a queue page, under issue 18's rule)."""
    return list(get_user_model().objects.with_perm(
        "caseapp.review_submission", backend="caseapp.auth.PermissionBackend",
    ).order_by("username").only("id", "username"))


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
