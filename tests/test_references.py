"""The reference format, tested without a database."""

from __future__ import annotations

import random
import re

import pytest

from caseapp.references import (
    REFERENCE_ALPHABET,
    reference_generate,
    reference_normalise,
    reference_parse,
)

FORMAT = re.compile(r"^LI-[23456789ABCDEFGHJKMNPQRSTWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTWXYZ]{4}$")


def test_the_alphabet_leaves_out_letters_read_aloud_alike():
    assert not set("01ILOUV") & set(REFERENCE_ALPHABET)
    assert len(REFERENCE_ALPHABET) == 29


@pytest.mark.parametrize("rng", [None, random.Random(7)], ids=["secrets", "seeded"])
def test_generated_references_have_the_format_and_parse_as_themselves(rng):
    for _ in range(200):
        reference = reference_generate(rng)
        assert FORMAT.match(reference), reference
        assert reference_parse(reference) == reference
        assert reference_normalise(reference) == reference


def test_a_seeded_generator_draws_the_same_references_again():
    first = [reference_generate(random.Random(3)) for _ in range(3)]
    assert first == [reference_generate(random.Random(3)) for _ in range(3)]


@pytest.mark.parametrize(("typed", "expected"), [
    ("LI-2345-6789", "LI-2345-6789"),
    ("li-2345-6789", "LI-2345-6789"),
    ("li 2345 6789", "LI-2345-6789"),
    ("LI23456789", "LI-2345-6789"),
    (" LI - 2345 - 6789 \n", "LI-2345-6789"),
    ("LI-ABCD-EFGH", "LI-ABCD-EFGH"),
    ("LI-2345-678", None),  # too short
    ("LI-2345-67890", None),  # too long
    ("LI-2345-678O", None),  # O is not in the alphabet
    ("LI-1234-5678", None),  # nor is 1
    ("XX-2345-6789", None),
    ("2345-6789", None),
    ("", None),
    ("someone@example.com", None),
])
def test_reference_parse(typed, expected):
    assert reference_parse(typed) == expected


@pytest.mark.parametrize(("typed", "expected"), [
    ("li 2345 6789", "LI-2345-6789"),
    ("LI23456789", "LI-2345-6789"),
    ("LI-2345-6789", "LI-2345-6789"),
    # Ten characters after LI are formatted even outside the alphabet: the lookup then finds
    # nothing, and the rate limit counts the mistyped reference as one reference.
    ("li-1234-5678", "LI-1234-5678"),
    ("LI-2345-678", "LI2345678"),
    ("hello world", "HELLOWORLD"),
    ("x" * 50, "X" * 40),
    ("", ""),
])
def test_reference_normalise(typed, expected):
    assert reference_normalise(typed) == expected
