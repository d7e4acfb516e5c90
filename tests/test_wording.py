"""caseapp.wording: the versioned legal texts a submission records having shown."""

from __future__ import annotations

import hashlib

import pytest
from django.utils import translation

from caseapp import wording
from caseapp.wording import (
    ATTESTATION,
    CONSENT_CONTACT,
    CONSENT_CONTACT_2025,
    NOT_LEGAL_ADVICE,
    PRIVACY_NOTICE,
    PRIVACY_NOTICE_2025,
)

VERSIONED = [CONSENT_CONTACT_2025, CONSENT_CONTACT, ATTESTATION, PRIVACY_NOTICE_2025,
             PRIVACY_NOTICE]

#: The words each published version showed, as SHA-256 prefixes per language. A submission
#: stores the version its person agreed to, so a published text is never edited in place:
#: when one of these fails, restore the text and add a new ``Wording`` with a new version.
PUBLISHED = {
    ("consent-2025-02-01.1", "en"): "7448a16be3980521",
    ("consent-2025-02-01.1", "es"): "e19b70bde855aeb5",
    ("consent-2026-12-05.1", "en"): "11b74759ce98ad4b",
    ("consent-2026-12-05.1", "es"): "9c2b86bcb603ebf3",
    ("attest-2025-02-01.1", "en"): "47a263a1a571a2f5",
    ("attest-2025-02-01.1", "es"): "10f642eada085a64",
    ("notice-2025-02-01.1", "en"): "7b09e38b5ce592b2",
    ("notice-2025-02-01.1", "es"): "2092160b0bb44262",
    ("notice-2026-12-05.1", "en"): "bab4e92eb5f00068",
    ("notice-2026-12-05.1", "es"): "d79b862cca476a98",
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
    assert sorted(w.version for w in wording.PUBLISHED) == sorted(versions)


@pytest.mark.parametrize("version", sorted({version for version, _language in PUBLISHED}))
def test_a_stored_version_finds_its_own_words(version):
    assert wording.published(version).version == version


def test_an_unknown_version_finds_nothing():
    assert wording.published("consent-1999-01-01.1") is None


@pytest.mark.parametrize(("language", "names_the_page"), [
    ("en", "at any time on the “Manage your registration” page (https://intake.example/manage/)"),
    ("es", "en cualquier momento en la página “Administrar su registro” "
           "(https://intake.example/manage/)"),
])
@pytest.mark.parametrize("current", [CONSENT_CONTACT, PRIVACY_NOTICE], ids=["consent", "notice"])
def test_the_current_consent_and_notice_name_the_manage_page_and_its_address(
        current, language, names_the_page):
    with translation.override(language):
        assert names_the_page in current.shown(manage_url="https://intake.example/manage/")


def test_the_consent_new_registrations_see_is_the_one_naming_the_manage_page():
    assert CONSENT_CONTACT.version == "consent-2026-12-05.1"
    assert PRIVACY_NOTICE.version == "notice-2026-12-05.1"


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
