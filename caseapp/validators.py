"""Validators shared by the public and staff forms."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CONTROL_CHARACTERS_MESSAGE = _(
    "Remove the hidden or control characters from this answer, then try again."
)
NO_NULLS = {"null_characters_not_allowed": CONTROL_CHARACTERS_MESSAGE}


def reject_control_characters(value: str, *, multiline: bool = False) -> None:
    """Refuse invisible control characters (NUL, escapes, bidi overrides) in typed text."""
    # The zero-width joiner is allowed because emoji use it; line breaks only in text areas.
    allowed = {"\u200d", "\n", "\r", "\t"} if multiline else {"\u200d"}
    for char in value:
        # Cf covers the bidi overrides that can make text read differently than it is stored.
        if unicodedata.category(char) in ("Cc", "Cf") and char not in allowed:
            raise ValidationError(CONTROL_CHARACTERS_MESSAGE, code="control_characters")
