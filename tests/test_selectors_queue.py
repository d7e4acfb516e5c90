"""caseapp.selectors.queue: the review queue."""

from __future__ import annotations

import pytest

from caseapp.selectors.queue import submission_search


@pytest.mark.parametrize(("text", "kind"), [
    ("LI-2345-6789", "reference"),
    ("li23456789", "reference"),
    (" li-2345 6789 ", "reference"),
    ("LI-2345-678", "name"),  # too short to be a reference
    ("LI-0000-0000", "name"),  # 0 is not in the alphabet
    ("someone@example.com", "email"),
    ("Ada Lovelace", "name"),
])
def test_search_kind_follows_what_was_typed(text, kind, settings):
    assert submission_search(text=text).kind == kind


def test_empty_search_is_no_search():
    assert submission_search(text="   ") is None
