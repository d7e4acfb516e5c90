"""Staff accounts: permissions, who reviews, two-factor devices."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection


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


def permission_names(*, user_id: int) -> set[str]:
    """``{"app_label.codename"}`` the user holds directly or through groups: what Django's
    ``ModelBackend`` finds with two ORM queries on every staff page, in one
    (``caseapp.auth.PermissionBackend``)."""
    sql = """
        SELECT ct.app_label, p.codename FROM {perm} p
        JOIN {content_type} ct ON ct.id = p.content_type_id
        WHERE p.id IN (
            SELECT up.permission_id FROM {user_perms} up WHERE up.user_id = %s
            UNION
            SELECT gp.permission_id FROM {group_perms} gp
            JOIN {user_groups} ug ON ug.group_id = gp.group_id
            WHERE ug.user_id = %s)""".format(**_auth_tables())  # noqa: S608 (model tables)
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, user_id])
        return {f"{app_label}.{codename}" for app_label, codename in cursor.fetchall()}


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


def staff_second_factor_state(*, user, required_for_supervisors: bool) -> str:
    """``enrolled`` (has a device), ``required`` (must enrol one) or ``optional``.

    Asked on every staff request (issue 12: the user's groups and devices as they are now),
    so it is one query: whether a confirmed device exists and whether the user is a
    Supervisor, together."""
    from django.db.models import Exists, OuterRef

    from caseapp.models import SealedTOTPDevice

    User = get_user_model()
    has_device, supervisor = User.objects.filter(pk=user.pk).annotate(
        has_device=Exists(SealedTOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
        supervisor=Exists(User.groups.through.objects.filter(
            user=OuterRef("pk"), group__name="Supervisor")),
    ).values_list("has_device", "supervisor").get()
    if has_device:
        return "enrolled"
    if required_for_supervisors and (user.is_superuser or supervisor):
        return "required"
    return "optional"
