"""Submits that happen once: a form that sends email or creates a batch carries a one-time
token (``submit_token_new``), and the service it calls runs through ``submit_once``."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.db import IntegrityError, transaction

from caseapp.models import SubmitToken

#: The actions that spend a token, each with its own key space.
CASE_UPDATE = "case_update"
STAFF_MESSAGE = "staff_message"
RESEND = "message_resend"
BULK_INFO_REQUEST = "bulk_info_request"


def submit_token_new() -> str:
    """A fresh one-time token for a form (43 URL-safe characters, 256 random bits)."""
    return secrets.token_urlsafe(32)


def submit_token_result(*, action: str, key: str) -> int | None:
    """What the token's first submit made (its id), or None while the token is unspent."""
    if not key:
        return None
    return SubmitToken.objects.filter(action=action, key=key).values_list(
        "result_id", flat=True).first()


@transaction.atomic
def submit_once(*, action: str, key: str, perform: Callable[[], int]) -> tuple[int, bool]:
    """Run ``perform`` (which returns the id of what it made) once for this token; returns
    that id and whether this call made it. The token row is written first, in the same
    transaction: a concurrent submit of the same token waits on its unique key until this one
    commits, then reads its result (or, if this one failed, makes its own)."""
    if not key:
        raise ValueError("submit_once needs the form's token")
    try:
        with transaction.atomic():
            token = SubmitToken.objects.create(action=action, key=key[:64], result_id=0)
    except IntegrityError:
        return SubmitToken.objects.get(action=action, key=key[:64]).result_id, False
    result = perform()
    SubmitToken.objects.filter(pk=token.pk).update(result_id=result)
    return result, True
