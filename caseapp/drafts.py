"""The public check's draft, kept in the person's own browser and sealed.

A check in progress (the answers so far, when it started, the registration form's token) and,
after registering, the reference, live in one cookie sealed (AES-256-GCM) under a key derived
for this purpose alone (``crypto.cookie_encrypt``), not in a server-side session. So:

- the firm stores nothing about a person who has not registered, and there is no draft to
  purge;
- app servers stay stateless, and a question page costs no session read or write (issue 5's
  profile: the session's read, write and commit, with the case read, were about a third of
  each step);
- the browser can neither read nor alter it: it is encrypted and authenticated, HttpOnly, and
  carries its own expiry, which the server checks.

Staff sign-in keeps Django's database sessions, which a sign-out or an administrator revokes.
"""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from caseapp import crypto

COOKIE_NAME = "caseapp_check"
CONTEXT = "cookie." + COOKIE_NAME
DEFAULT_MAX_AGE = 24 * 3600


# Cookie-safe: the token's base64 in the URL alphabet, so the cookie needs no quoting.
_TO_COOKIE = str.maketrans("+/", "-_")
_FROM_COOKIE = str.maketrans("-_", "+/")


def seal(data: dict, *, max_age: int, now: float | None = None) -> str:
    expires = int((time.time() if now is None else now) + max_age)
    token = crypto.cookie_encrypt(json.dumps({"data": data, "exp": expires, "age": max_age},
                                             separators=(",", ":")), CONTEXT)
    return token.translate(_TO_COOKIE).replace("=", ".")


def unseal(value: str, *, now: float | None = None) -> tuple[dict, int]:
    """``(data, max_age)``; an unreadable, altered or expired value reads as empty."""
    try:
        payload = json.loads(crypto.cookie_decrypt(
            value.translate(_FROM_COOKIE).replace(".", "="), CONTEXT))
    except (crypto.UnreadableToken, ValueError):
        return {}, DEFAULT_MAX_AGE
    if (not isinstance(payload, dict) or not isinstance(payload.get("data"), dict)
            or not isinstance(payload.get("exp"), int)
            or payload["exp"] < (time.time() if now is None else now)):
        return {}, DEFAULT_MAX_AGE
    max_age = payload.get("age")
    return payload["data"], max_age if isinstance(max_age, int) else DEFAULT_MAX_AGE


class DraftStore:
    """The sealed cookie as a small mapping; read on first use, written back if changed."""

    def __init__(self, cookie: str | None) -> None:
        self._cookie = cookie
        self._data: dict | None = None
        self.max_age = DEFAULT_MAX_AGE
        self.accessed = False
        self.modified = False

    @property
    def data(self) -> dict:
        self.accessed = True
        if self._data is None:
            self._data, self.max_age = unseal(self._cookie) if self._cookie else ({},
                                                                               DEFAULT_MAX_AGE)
        return self._data

    def get(self, key: str, default=None):
        return self.data.get(key, default)

    def __setitem__(self, key: str, value) -> None:
        self.data[key] = value
        self.modified = True

    def pop(self, key: str, default=None):
        if key in self.data:
            self.modified = True
        return self.data.pop(key, default)

    def set_expiry(self, seconds: int) -> None:
        self.data  # noqa: B018  (load first, so the old cookie's age cannot override it)
        self.max_age = int(seconds)
        self.modified = True


class DraftMiddleware:
    """Gives each request ``request.draft`` and writes the cookie back when it changed."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        request.draft = store = DraftStore(request.COOKIES.get(COOKIE_NAME))
        response = self.get_response(request)
        if store.accessed:
            patch_vary_headers(response, ("Cookie",))
            # A page drawn from the draft shows a person's answers or details (a question
            # with its answer, check your answers, the result, registration, confirmation):
            # no browser, proxy or back-button cache may keep it.
            add_never_cache_headers(response)
        if store.modified:
            if store.data:
                response.set_cookie(
                    COOKIE_NAME, seal(store.data, max_age=store.max_age),
                    max_age=store.max_age, secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True, samesite="Lax",
                )
            else:
                response.delete_cookie(COOKIE_NAME, samesite="Lax")
        return response
