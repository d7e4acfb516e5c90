"""caseapp.wording: the versioned legal texts a submission records having shown."""

from __future__ import annotations

import hashlib

import pytest
from django.utils import translation

from caseapp import wording
from caseapp.wording import ATTESTATION, CONSENT_CONTACT, NOT_LEGAL_ADVICE, PRIVACY_NOTICE

VERSIONED = [CONSENT_CONTACT, ATTESTATION, PRIVACY_NOTICE]

#: The words each published version showed, as SHA-256 prefixes per language. A submission
#: stores the version its person agreed to, so a published text is never edited in place:
#: when one of these fails, restore the text and add a new ``Wording`` with a new version.
PUBLISHED = {
    ("consent-2025-02-01.1", "en"): "7448a16be3980521",
    ("consent-2025-02-01.1", "es"): "e19b70bde855aeb5",
    ("attest-2025-02-01.1", "en"): "47a263a1a571a2f5",
    ("attest-2025-02-01.1", "es"): "10f642eada085a64",
    ("notice-2025-02-01.1", "en"): "7b09e38b5ce592b2",
    ("notice-2025-02-01.1", "es"): "2092160b0bb44262",
}


def fingerprint(text) -> str:
    return hashlib.sha256(str(text).encode()).hexdigest()[:16]


@pytest.mark.parametrize(("version", "language"), sorted(PUBLISHED))
def test_a_published_version_keeps_its_exact_words(version, language):
    (text,) = [w.text for w in VERSIONED if w.version == version]
    with translation.override(language):
        assert fingerprint(text) == PUBLISHED[version, language]


def test_every_versioned_text_is_pinned_and_versions_are_unique():
    versions = [w.version for w in VERSIONED]
    assert len(set(versions)) == len(versions)
    assert {(v, lang) for v in versions for lang in ("en", "es")} == set(PUBLISHED)
    found = [value for value in vars(wording).values() if isinstance(value, wording.Wording)]
    assert sorted(w.version for w in found) == sorted(versions)


def test_a_wording_cannot_be_changed_after_it_is_made():
    with pytest.raises(AttributeError):
        CONSENT_CONTACT.text = "something else"


@pytest.mark.parametrize("text", [*(w.text for w in VERSIONED), NOT_LEGAL_ADVICE],
                         ids=[*(w.version for w in VERSIONED), "not-legal-advice"])
def test_every_text_reads_in_spanish(text):
    english = str(text)
    with translation.override("es"):
        assert str(text) != english and str(text).strip()


def test_the_disclaimer_says_no_advice_and_no_lawyer_client_relationship():
    text = str(NOT_LEGAL_ADVICE)
    assert "not legal advice" in text and "attorney–client relationship" in text
