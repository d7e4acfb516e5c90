"""The sign-in backend that takes the lockout counters before any password is checked."""

from __future__ import annotations


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
