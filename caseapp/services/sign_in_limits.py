"""Sign-in lockouts an outsider cannot turn against the account's owner (issue 20).

Two counters per attempt, each a row taken by one atomic ``INSERT … ON CONFLICT DO UPDATE …
WHERE … RETURNING`` *before* the password is checked, so parallel attempts can never check
more passwords than the limit (django-axes counted after the check: under 30 parallel
attempts 5-8 passwords were checked against a limit of 5):

- the account from one address (``CASEAPP_LOGIN_FAILURE_LIMIT``, 5): a hard limit;
- the account from every address together (``CASEAPP_LOGIN_ACCOUNT_LIMIT``, 20). An address
  reaches it only through its own counter, so it adds at most its own limit: 25 failures from
  one address leave the owner free elsewhere; one failure from each of 20 addresses locks.

From a browser where the owner completed a sign-in before (a signed cookie), the second
counter is not asked, and the first is kept for that browser instead of its address: failures
from elsewhere, or from the same office network, never lock the owner out.
A window starts at its first failure and lasts ``CASEAPP_LOGIN_COOLOFF_MINUTES``.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import connection
from django.db.models import F
from django.http import HttpRequest, HttpResponse

from caseapp.crypto import keyed_digest
from caseapp.models import SignInCounter
from caseapp.ratelimit import client_ip

#: The cookie that marks a browser where its account's owner signed in completely.
KNOWN_BROWSER_COOKIE = "staff_browser"
_KNOWN_BROWSER_SALT = "caseapp.staff.known-browser"
KNOWN_BROWSER_DAYS = 90


@dataclass(frozen=True)
class SignInAttempt:
    """The counters one attempt took (``keys``), or why it was refused."""

    account: str
    keys: tuple[str, ...] = ()
    refused: str = ""  # "address" (this address or browser) or "account" (all together)


def sign_in_account(username: str) -> str:
    """The key of an account in the counters: a keyed hash, since people type passwords into
    the username box and the table must not keep them."""
    return keyed_digest(username, purpose="sign-in username")[:32]


_RESERVE = """
    INSERT INTO {t} ({key}, account, failures, window_start) VALUES (%s, %s, 1, %s)
    ON CONFLICT ({key}) DO UPDATE SET
        failures = CASE WHEN {t}.window_start <= %s THEN 1 ELSE {t}.failures + 1 END,
        window_start = CASE WHEN {t}.window_start <= %s THEN %s ELSE {t}.window_start END
    WHERE {t}.window_start <= %s OR {t}.failures < %s
    RETURNING failures"""


def _reserve(*, key: str, account: str, limit: int, now: float) -> bool:
    """Count one attempt against ``key`` unless it has ``limit`` in the current window."""
    expired = now - settings.CASEAPP_LOGIN_COOLOFF_MINUTES * 60
    table = connection.ops.quote_name(SignInCounter._meta.db_table)
    sql = _RESERVE.format(t=table, key=connection.ops.quote_name("key"))
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, account, now, expired, expired, now, expired, limit])
        return cursor.fetchone() is not None


def _known_browser(request: HttpRequest, account: str) -> str | None:
    """The browser's id if the owner of ``account`` signed in completely from it."""
    value = request.COOKIES.get(KNOWN_BROWSER_COOKIE)
    if not value:
        return None
    try:
        data = signing.loads(value, salt=_KNOWN_BROWSER_SALT,
                             max_age=KNOWN_BROWSER_DAYS * 86400)
    except signing.BadSignature:
        return None
    return data.get("b") if data.get("a") == account else None


def sign_in_attempt_reserve(*, request: HttpRequest, username: str) -> SignInAttempt:
    """Take this attempt's counters before the password is checked, or refuse it."""
    account = sign_in_account(username)
    now = time.time()
    browser = _known_browser(request, account)
    local = f"b:{account}:{browser}" if browser else f"a:{account}:{client_ip(request)}"
    if not _reserve(key=local, account=account, now=now,
                    limit=settings.CASEAPP_LOGIN_FAILURE_LIMIT):
        return SignInAttempt(account=account, refused="address")
    if browser:
        return SignInAttempt(account=account, keys=(local,))
    overall = f"t:{account}"
    if not _reserve(key=overall, account=account, now=now,
                    limit=settings.CASEAPP_LOGIN_ACCOUNT_LIMIT):
        _release(local)  # not checked, so not a failure of this address
        return SignInAttempt(account=account, refused="account")
    return SignInAttempt(account=account, keys=(local, overall))


def _release(key: str) -> None:
    SignInCounter.objects.filter(key=key, failures__gt=0).update(
        failures=F("failures") - 1)


def sign_in_attempt_succeeded(*, attempt: SignInAttempt) -> None:
    """The password was right: this address (or browser) starts again from nothing, and the
    attempt is taken back from the account's total (it was no failure)."""
    if not attempt.keys:
        return
    local, *overall = attempt.keys
    SignInCounter.objects.filter(key=local).delete()
    for key in overall:
        _release(key)


def sign_in_unlock(*, username: str) -> int:
    """Forget every counter of one account (``manage.py staff_unlock``)."""
    removed, _ = SignInCounter.objects.filter(account=sign_in_account(username)).delete()
    return removed


def known_browser_remember(*, response: HttpResponse, username: str) -> None:
    """Mark this browser as one where the owner completed a sign-in (password and code)."""
    value = signing.dumps({"a": sign_in_account(username), "b": secrets.token_urlsafe(12)},
                          salt=_KNOWN_BROWSER_SALT)
    response.set_cookie(KNOWN_BROWSER_COOKIE, value, max_age=KNOWN_BROWSER_DAYS * 86400,
                        path="/staff/", secure=settings.SESSION_COOKIE_SECURE, httponly=True,
                        samesite="Lax")
