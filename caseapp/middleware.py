"""Rules for every request: the public pages closed until the case record says who is speaking;
staff sessions that end; no browser feature the app does not use."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation

from caseapp.selectors.case_record import case_for_request
from caseapp.selectors.staff_accounts import staff_access


class FirmIdentityMiddleware:
    """With ``CASEAPP_FIRM_IDENTITY_REQUIRED`` (production), every public page is a 503 "not
    open yet" page until staff fill in the firm's identity on the case record: a firm's case
    page is attorney advertising and must name the firm, a responsible attorney and an address
    (CASE_FACTS "Who is speaking"). Staff pages stay open, so staff can fill it in."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.CASEAPP_FIRM_IDENTITY_REQUIRED:
            return None
        match = request.resolver_match
        if match is None or match.namespace != "public":
            return None
        if case_for_request(request).firm_identity_complete:
            return None
        response = render(request, "caseapp/public/not_open.html", status=503, using="jinja2")
        response["Retry-After"] = "3600"
        return response


#: Session keys: when the user signed in, and when a request last came (to the minute).
SIGNED_IN_AT = "staff_signed_in_at"
SEEN_AT = "staff_seen_at"


class StaffSessionLimitsMiddleware:
    """Signs a staff member out after ``CASEAPP_STAFF_IDLE_MINUTES`` without a request, and
    ``CASEAPP_STAFF_SESSION_HOURS`` after signing in whatever they do: a laptop left open
    or a stolen cookie is not a week of access to everyone's personal data.

    Public pages carry no session, so for them this reads nothing. The last-seen time is
    written at most once a minute, not on every staff request."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if SESSION_KEY in session:
            now = time.time()
            started, seen = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
            idle = settings.CASEAPP_STAFF_IDLE_MINUTES * 60
            absolute = settings.CASEAPP_STAFF_SESSION_HOURS * 3600
            if started is None:  # signed in before these limits existed
                session[SIGNED_IN_AT] = started = now
            if now - started > absolute or (seen is not None and now - seen > idle):
                logout(request)
            elif seen is None or now - seen >= 60:
                session[SEEN_AT] = now
        return self.get_response(request)


def staff_session_started(request) -> None:
    """Called at sign-in: the absolute limit counts from here."""
    request.session[SIGNED_IN_AT] = request.session[SEEN_AT] = time.time()


class StaffLanguageMiddleware:
    """The staff workspace speaks each member's own language, kept on their account (English
    until they choose), never the public pages' language cookie: a colleague who tried the
    public "Español" link must not find the workspace half in Spanish (issue 20). Django's
    admin follows the same rule. Sign-in pages, before anyone is known, are in English."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.prefixes: tuple[str, ...] = ()

    def __call__(self, request):
        if not self.prefixes:
            self.prefixes = (reverse("staff:overview"), f"/{settings.CASEAPP_ADMIN_PATH}")
        if request.path_info.startswith(self.prefixes):
            language = "en"
            if request.user.is_authenticated:
                language = staff_access(user=request.user).language
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


#: Every powerful browser feature, denied to this origin and any frame: the app uses none
#: (no camera, location, payment, sensors, fullscreen, clipboard API or sync XHR).
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "autoplay", "bluetooth", "browsing-topics", "camera", "clipboard-read",
    "clipboard-write", "display-capture", "encrypted-media", "fullscreen", "geolocation",
    "gyroscope", "hid", "idle-detection", "magnetometer", "microphone", "midi", "payment",
    "picture-in-picture", "publickey-credentials-get", "screen-wake-lock", "serial",
    "sync-xhr", "usb", "web-share", "xr-spatial-tracking",
))


class PermissionsPolicyMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
