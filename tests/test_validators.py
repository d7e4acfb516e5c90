"""caseapp.validators: control characters refused in typed text."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation

from caseapp.validators import CONTROL_CHARACTERS_MESSAGE, NO_NULLS, reject_control_characters


@pytest.mark.parametrize("text", [
    "",
    "Ana María O'Brien",
    "Zoë Nguyễn-Łukasz",
    "Jose\u0301",  # a combining accent (Mn), as some keyboards send it
    "李小龍",
    "محمد",
    "👩\u200d💻",  # the zero-width joiner that holds an emoji together
    "+1 (415) 555-0100",
])
@pytest.mark.parametrize("multiline", [False, True])
def test_ordinary_text_in_any_script_is_accepted(text, multiline):
    reject_control_characters(text, multiline=multiline)


@pytest.mark.parametrize("char", [
    "\x00",  # NUL (PostgreSQL refuses it in text)
    "\x1b",  # escape: terminal control sequences in an exported file
    "\x7f",  # delete
    "\x85",  # next line (C1)
    "\u202e",  # right-to-left override: text that reads differently than it is stored
    "\u2066",  # left-to-right isolate
    "\u200b",  # zero-width space: two names that look equal but are not
    "\ufeff",  # byte-order mark
])
@pytest.mark.parametrize("multiline", [False, True])
def test_hidden_or_control_characters_are_refused_with_their_code(char, multiline):
    with pytest.raises(ValidationError) as refused:
        reject_control_characters(f"Ana{char}Smith", multiline=multiline)
    assert refused.value.code == "control_characters"
    assert refused.value.messages == [str(CONTROL_CHARACTERS_MESSAGE)]


@pytest.mark.parametrize("char", ["\n", "\r", "\t"])
def test_line_breaks_and_tabs_only_in_text_areas(char):
    reject_control_characters(f"First line{char}second line", multiline=True)
    with pytest.raises(ValidationError) as refused:
        reject_control_characters(f"First line{char}second line")
    assert refused.value.code == "control_characters"


def test_no_nulls_gives_djangos_null_character_check_the_same_plain_message():
    field = forms.CharField(error_messages=NO_NULLS)
    with pytest.raises(ValidationError) as refused:
        field.clean("Ana\x00Smith")
    assert refused.value.error_list[0].code == "null_characters_not_allowed"
    assert refused.value.messages == [str(CONTROL_CHARACTERS_MESSAGE)]


def test_the_message_says_what_to_do_in_english_and_spanish():
    assert str(CONTROL_CHARACTERS_MESSAGE) == (
        "Remove the hidden or control characters from this answer, then try again.")
    with translation.override("es"):
        assert str(CONTROL_CHARACTERS_MESSAGE).startswith("Quite los caracteres ocultos")
