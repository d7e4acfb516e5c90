"""Django's ModelBackend, with a user's permissions read in one query instead of two."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from caseapp.selectors.staff_accounts import permission_names


class PermissionBackend(ModelBackend):
    """Same answers as ``ModelBackend`` (a test compares them), fewer queries: every staff
    page checks permissions. Nothing is cached beyond the request, so a removed permission is
    gone on the next one. Measured (``make bench``, PostgreSQL, 1,000,000 rows, 2026-11-30):
    the overview's server time (p50) is 14.0 ms with it and 16.0-16.8 ms with ModelBackend,
    the queue's first page 17.7 ms against 18.4-21.1 ms."""

    def get_all_permissions(self, user_obj, obj=None):
        if (not user_obj.is_active or user_obj.is_anonymous or obj is not None
                or user_obj.is_superuser):
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = permission_names(user_id=user_obj.pk)
        return user_obj._perm_cache
