"""Versioned legal wording shown to the public; the version shown is stored with a submission.

Never edit a published text in place: add a new version, so every stored submission still
points at the exact words its person agreed to.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Wording:
    version: str
    text: str

    def shown(self, *, manage_url: str) -> str:
        """The words as a page shows them: a version that names the "Manage your
        registration" page gives its full address, which is the deployment's."""
        return str(self.text) % {"manage_url": manage_url}


CONSENT_CONTACT_2025 = Wording(
    "consent-2025-02-01.1",
    _("I agree that the law firm may contact me about this case by email, or by phone if I "
      "give a number. I can withdraw this at any time by writing to the firm."),
)

#: Names the page where people withdraw (issue 21); registrations made before it keep the
#: 2025 words they agreed to.
CONSENT_CONTACT = Wording(
    "consent-2026-12-05.1",
    _("I agree that the law firm may contact me about this case by email, or by phone if I "
      "give a number. I can withdraw this consent at any time on the “Manage your "
      "registration” page (%(manage_url)s)."),
)

ATTESTATION = Wording(
    "attest-2025-02-01.1",
    _("The answers I gave are true to the best of my knowledge."),
)

PRIVACY_NOTICE_2025 = Wording(
    "notice-2025-02-01.1",
    _("The firm keeps your name, email, optional phone number, state and answers to contact "
      "you about this case and to assess the proposed class. They are stored encrypted, seen "
      "only by the firm's staff, never sold or shared for advertising, and deleted when the "
      "firm no longer needs them for this case. Ask the firm at any time to see or delete "
      "them."),
)

#: Says where people see, correct or delete their details themselves, in shorter sentences
#: (issue 21).
PRIVACY_NOTICE = Wording(
    "notice-2026-12-05.1",
    _("The firm keeps your name, email, optional phone number, state and answers. It uses "
      "them to contact you about this case and to assess the proposed class. They are stored "
      "encrypted and seen only by the firm's staff. They are never sold or shared for "
      "advertising. They are deleted when the firm no longer needs them for this case. You "
      "can see, correct or delete them at any time on the “Manage your registration” page "
      "(%(manage_url)s)."),
)


NOT_LEGAL_ADVICE = _(
    "This check is not legal advice, and using it or registering does not create an "
    "attorney–client relationship."
)

#: Every version ever shown, old ones included: staff see the words a person agreed to.
PUBLISHED = (CONSENT_CONTACT_2025, CONSENT_CONTACT, ATTESTATION, PRIVACY_NOTICE_2025,
             PRIVACY_NOTICE)


def published(version: str) -> Wording | None:
    """The wording a submission records having shown, by its version (None if unknown)."""
    return next((shown for shown in PUBLISHED if shown.version == version), None)
