"""Sign-in helpers for django-axes and the cross-address account lock."""

from __future__ import annotations


def axes_username(request, credentials: dict | None = None) -> str | None:
    """What django-axes records and locks on instead of the typed username: a keyed hash.
    People type passwords into the username box; the lockout table must not keep them."""
    from caseapp.crypto import keyed_digest

    if credentials:
        typed = credentials.get("username")
    else:
        typed = getattr(request, "POST", {}).get("username")
    if not typed:
        return None
    return "h:" + keyed_digest(typed, purpose="sign-in username")[:32]


def account_failures(username: str) -> int:
    """Failed sign-ins for this username within the cool-off, from every address together."""
    import datetime

    from axes.models import AccessAttempt
    from django.conf import settings
    from django.db.models import Sum
    from django.utils import timezone

    hashed = axes_username(None, {"username": username})
    if hashed is None:
        return 0
    since = timezone.now() - datetime.timedelta(hours=settings.AXES_COOLOFF_TIME)
    total = AccessAttempt.objects.filter(username=hashed, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start"))["total"]
    return total or 0


def account_locked(username: str) -> bool:
    """Too many failures for one account across addresses (``CASEAPP_LOGIN_ACCOUNT_LIMIT``):
    axes locks one address + username after a few; this caps guessing one account from many
    addresses, with a higher limit so that no one stranger locks a colleague out for long."""
    from django.conf import settings

    return account_failures(username) >= settings.CASEAPP_LOGIN_ACCOUNT_LIMIT


class AccountLockBackend:
    """First in AUTHENTICATION_BACKENDS: refuses any sign-in (staff or admin) to an account
    over the cross-address limit, before a password is checked."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        from django.core.exceptions import PermissionDenied

        if username and account_locked(username):
            raise PermissionDenied("account locked")  # stops every later backend
        return None  # no opinion: the next backends decide

    # No get_user: sessions name the backend that signed the user in, never this one (and
    # Django's test client picks the first backend that has one).
