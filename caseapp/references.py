"""A registration's reference, ``LI-XXXX-XXXX``: made, tidied and recognised in one place.

People read it aloud over the phone and type it back in any shape (``li 2345 6789``), so the
alphabet leaves out look-alikes and every reader of a typed reference goes through here.
"""

from __future__ import annotations

import random
import re
import secrets

#: No 0/O, 1/I/L or U/V: a reference is read aloud over the phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
REFERENCE_PREFIX = "LI"

_SEPARATORS = re.compile(r"[\s\-]")
_COMPACT = re.compile(rf"^{REFERENCE_PREFIX}([{REFERENCE_ALPHABET}]{{8}})$")


def _formatted(chars: str) -> str:
    return f"{REFERENCE_PREFIX}-{chars[:4]}-{chars[4:]}"


def reference_generate(rng: random.Random | None = None) -> str:
    """``LI-XXXX-XXXX`` from a 29-letter alphabet: 29**8 ≈ 5 × 10**11, drawn by ``secrets``.
    Demo data passes its own seeded ``rng``: its references need not be unguessable."""
    if rng is not None:
        return _formatted("".join(rng.choices(REFERENCE_ALPHABET, k=8)))
    return _formatted("".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8)))


def reference_normalise(text: str) -> str:
    """``li 2345 6789`` or ``LI23456789`` → ``LI-2345-6789``; anything else as typed, upper
    (at most 40 characters), so a sign-in with a mistyped reference is still counted by it."""
    compact = _SEPARATORS.sub("", text).upper()[:40]
    if len(compact) == 10 and compact.startswith(REFERENCE_PREFIX):
        return _formatted(compact[2:])
    return compact


def reference_parse(text: str) -> str | None:
    """``LI-XXXX-XXXX`` however it was typed (spaces, dashes, lower case), or None when the
    text is not a reference at all."""
    match = _COMPACT.match(_SEPARATORS.sub("", text).upper())
    return _formatted(match.group(1)) if match else None
