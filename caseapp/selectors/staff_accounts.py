"""Staff accounts: permissions, who reviews, two-factor devices."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection

#: The group that reviews and supervises (its flag stays in ``StaffAccess`` for the pages).
SUPERVISOR_GROUP = "Supervisor"


def _auth_tables() -> dict[str, str]:
    """The auth tables' names, from the models, for the two queries below written in SQL."""
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
    what Django's ``ModelBackend`` finds with two ORM queries (``caseapp.auth``); the second
    factor's facts and the member's settings come in the same round trip. Measured in process
    at a million rows on PostgreSQL: the permission check and the second-factor state took
    1.46 ms as two queries (the second built by the ORM) and take 0.42 ms as this one, 8-10 %
    of a queue page."""
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
    # The same permissions for Django's ModelBackend, which keeps them in this attribute once
    # read: the page's ``has_perm`` checks then cost no second and third query.
    user._perm_cache = set(access.permissions)
    return access


def staff_members() -> list[tuple[int, str]]:
    """Every staff account as ``(id, username)``, by username: whom the audit log can name."""
    return list(get_user_model().objects.order_by("username").values_list("id", "username"))


def staff_reviewers() -> list:
    """Active users who may review submissions (the people work can be assigned to), by
    username, with only ``id`` and ``username`` loaded.

    Written in SQL: every queue page lists them, and the ORM spends longer building its query
    (subqueries through groups, permissions and content types) than the database answering
    it. Measured (``make bench``, PostgreSQL, 1,000,000 rows, 2026-11-30): the queue's first
    page takes 15.6-17.5 ms of server time (p50) with it and 17.7 ms with the ORM query, the
    submission page 17.3-18.0 ms against 18.7 ms."""
    User = get_user_model()
    tables = _auth_tables()
    sql = """
        SELECT u.id, u.username FROM {user} u
        WHERE u.is_active AND (u.is_superuser OR u.id IN (
            SELECT ug.user_id FROM {user_groups} ug
            JOIN {group_perms} gp ON gp.group_id = ug.group_id
            JOIN {perm} p ON p.id = gp.permission_id
            JOIN {content_type} ct ON ct.id = p.content_type_id
            WHERE p.codename = %s AND ct.app_label = %s
            UNION
            SELECT up.user_id FROM {user_perms} up
            JOIN {perm} p ON p.id = up.permission_id
            JOIN {content_type} ct ON ct.id = p.content_type_id
            WHERE p.codename = %s AND ct.app_label = %s))
        ORDER BY u.username""".format(**tables)  # noqa: S608 (table names from the models)
    return list(User.objects.raw(sql, ["review_submission", "caseapp"] * 2))


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
