"""Signed links in emails: confirming the address, one-click unsubscribe, the site's URLs."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse

from caseapp.models import Submission

CONFIRM_SALT = "caseapp.email-confirm"
UNSUBSCRIBE_SALT = "caseapp.unsubscribe"


def site_url(path: str) -> str:
    """An absolute link for an email (CASEAPP_SITE_URL; ``make run`` points it at itself)."""
    return f"{settings.CASEAPP_SITE_URL}{path}"


def manage_url() -> str:
    """The full address of "Manage your registration", as emails and the published wording
    name it (caseapp.wording.Wording.shown)."""
    return site_url(reverse("public:manage"))


def confirm_token(*, submission: Submission) -> str:
    """A signed link token for this submission's current address: it stops working when the
    address changes (the blind index is bound in) and after CASEAPP_CONFIRM_LINK_DAYS."""
    return signing.dumps([submission.pk, submission.email_index[:12]], salt=CONFIRM_SALT)


def confirm_token_read(token: str) -> tuple[int, str] | None:
    """``(submission id, index prefix)`` from a token that is genuine and in date, else None."""
    try:
        submission_id, index_prefix = signing.loads(
            token, salt=CONFIRM_SALT,
            max_age=datetime.timedelta(days=settings.CASEAPP_CONFIRM_LINK_DAYS),
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(submission_id, int) or not isinstance(index_prefix, str):
        return None
    return submission_id, index_prefix


def confirm_url(*, submission: Submission) -> str:
    return site_url(reverse("public:email_confirm", args=[confirm_token(submission=submission)]))


def unsubscribe_url(*, submission: Submission) -> str:
    """The one-click unsubscribe link for case updates: signed, no expiry (a link in an old
    email must still work), naming only the submission's id."""
    token = signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(submission.pk))
    return site_url(reverse("public:unsubscribe", args=[token]))


def unsubscribe_headers(*, submission: Submission) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: a mail client POSTs ``List-Unsubscribe=One-Click``."""
    return {"List-Unsubscribe": f"<{unsubscribe_url(submission=submission)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def unsubscribe_token_read(token: str) -> int | None:
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None
