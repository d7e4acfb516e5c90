"""Sign-in codes for /manage/: drawing a code and keeping only its keyed hash.

Below the email package: the worker draws the code as it sends the email, so the code is
never stored in clear, not even in the task queue. Asking for a code and checking one are
the registrant's (services/registrant.py)."""

from __future__ import annotations

import hashlib
import secrets

from caseapp import crypto
from caseapp.models import AccessCode, Message


def challenge_hash(challenge: str) -> str:
    """How a browser's random challenge is stored (it is already unguessable: no key)."""
    return hashlib.sha256(challenge.encode()).hexdigest()


def code_hash(challenge_hash: str, code: str) -> str:
    """Keyed: a copy of the database alone cannot try the million codes against it."""
    return crypto.blind_index(f"access-code|{challenge_hash}|{code}")


def access_code_issue(*, message: Message) -> str:
    """Draw the code for this message's sign-in request and keep only its hash (called by
    the worker as it sends the email; a retry draws a new one)."""
    code = f"{secrets.randbelow(10 ** 6):06d}"
    access = AccessCode.objects.get(message=message)
    AccessCode.objects.filter(pk=access.pk).update(
        code_hash=code_hash(access.challenge_hash, code))
    return code
