"""Reads the public registration needs."""

from __future__ import annotations

import re

from caseapp.models import Submission

#: What ``secrets.token_urlsafe(32)`` makes; anything else cannot be a key we issued (and a NUL
#: byte in it would be an error on PostgreSQL rather than "not found").
IDEMPOTENCY_KEY_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")


def submission_by_idempotency_key(*, key: str) -> Submission | None:
    if not IDEMPOTENCY_KEY_RE.fullmatch(key):
        return None
    return Submission.objects.filter(idempotency_key=key).first()
