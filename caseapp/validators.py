"""Validators shared by the public and staff forms."""

from __future__ import annotations

import datetime
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

CONTROL_CHARACTERS_MESSAGE = _(
    "Remove the hidden or control characters from this answer, then try again."
)
NO_NULLS = {"null_characters_not_allowed": CONTROL_CHARACTERS_MESSAGE}

#: Every date anyone types must fall in this range: dates near year 9999 overflow the moment
#: a day or two years is added (a 500 on every page that uses them), and nothing this app
#: records happened before 2000 or will after 2100.
EARLIEST_DATE = datetime.date(2000, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)
DATE_RANGE_MESSAGE = _("Enter a date between 1 January 2000 and 31 December 2100, "
                       "for example 2025-01-30.")
DATE_RANGE_VALIDATORS = [
    MinValueValidator(EARLIEST_DATE, message=DATE_RANGE_MESSAGE),
    MaxValueValidator(LATEST_DATE, message=DATE_RANGE_MESSAGE),
]


def reject_control_characters(value: str, *, multiline: bool = False) -> None:
    """Refuse invisible control characters (NUL, escapes, bidi overrides) in typed text."""
    # The zero-width joiner is allowed because emoji use it; line breaks only in text areas.
    allowed = {"\u200d", "\n", "\r", "\t"} if multiline else {"\u200d"}
    for char in value:
        # Cf covers the bidi overrides that can make text read differently than it is stored.
        if unicodedata.category(char) in ("Cc", "Cf") and char not in allowed:
            raise ValidationError(CONTROL_CHARACTERS_MESSAGE, code="control_characters")
