"""The authentication backends: the lockout counters taken before any password is checked,
and Django's ModelBackend answering permissions from the staff access query."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from caseapp.selectors.staff_accounts import staff_access


class SignInLimitBackend:
    """First in AUTHENTICATION_BACKENDS, so the admin's sign-in is counted too: takes the
    attempt's lockout counters (caseapp.services.sign_in_limits) before any password is
    checked, and refuses the attempt when one is full. The request keeps the attempt, for
    the view's 429 page and for ``user_logged_in`` to give the counters back."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        from django.core.exceptions import PermissionDenied

        from caseapp.services.sign_in_limits import sign_in_attempt_reserve

        if request is None or not username:
            return None
        attempt = sign_in_attempt_reserve(request=request, username=username)
        request.sign_in_attempt = attempt
        if attempt.refused:
            raise PermissionDenied("sign-in locked")  # stops every later backend
        return None  # no opinion: the next backends decide

    # No get_user: sessions name the backend that signed the user in, never this one (and
    # Django's test client picks the first backend that has one).


class PermissionBackend(ModelBackend):
    """Django's ``ModelBackend`` with the permissions it reads in two queries taken from the
    one query every staff page makes anyway (``staff_access``, which also brings what the
    second factor needs). Same answers (a test compares them); nothing kept beyond the user
    object of one request, so a removed permission is gone on the next."""

    def get_all_permissions(self, user_obj, obj=None):
        if (not user_obj.is_active or user_obj.is_anonymous or obj is not None
                or user_obj.is_superuser):
            return super().get_all_permissions(user_obj, obj)
        return staff_access(user=user_obj).permissions
