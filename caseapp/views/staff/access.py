"""Who may open a staff page (sign-in, permission, second factor), and its response headers."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from caseapp.selectors.staff_accounts import staff_access, staff_second_factor_state


def staff_headers(response: HttpResponse) -> HttpResponse:
    # Staff pages show personal data: no copy in any cache, no search engine.
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def staff_view(permission: str, *, second_factor: bool = True, step: str = "") -> Callable:
    """Sign-in and ``permission`` required; anonymous users go to the sign-in page, signed-in
    users without the permission get a 403. The permission is kept on the view so a test can
    prove that every staff URL declares one. With ``second_factor``, a user is first sent
    through the steps every account takes (``account_step``); ``step`` names the one this
    view is, which it may show while it is pending."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return staff_headers(redirect_to_login(request.get_full_path()))
            if not request.user.has_perm(permission):
                return staff_headers(render(request, "caseapp/staff/403.html", status=403))
            if second_factor and (pending := account_step(request)) and pending != step:
                return staff_headers(
                    redirect(f"{reverse(pending)}?next={quote(request.get_full_path())}")
                )
            return staff_headers(view(request, *args, **kwargs))

        wrapped.staff_permission = permission
        return wrapped

    return decorator


def second_factor_step(request: HttpRequest) -> str | None:
    """The URL name of the two-factor step the user must take before staff pages, or None.

    Decided on every request from the user's devices as they are now: a device removed
    mid-session (a lost phone) stops the next page, not the next sign-in. Every account
    needs one (issue 20); only the test suite may make it optional."""
    # Right after login() the user object is new, without django-otp's is_verified: unverified.
    is_verified = getattr(request.user, "is_verified", None)
    if is_verified is not None and is_verified():
        return None
    state = staff_second_factor_state(user=request.user,
                                      optional=settings.CASEAPP_SECOND_FACTOR_OPTIONAL)
    return {"enrolled": "staff:otp_verify", "required": "staff:otp_setup"}.get(state)


def account_step(request: HttpRequest) -> str | None:
    """The next step before any page with registrant data: the second factor, then backup
    codes once (a lost phone must not lock the member out), then a password nobody else saw."""
    if step := second_factor_step(request):
        return step
    access = staff_access(user=request.user)
    if access.has_device and not access.has_backup_codes:
        return "staff:otp_backup_codes"
    if access.must_change_password:
        return "staff:password_change"
    return None
