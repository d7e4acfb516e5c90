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


CONSENT_CONTACT = Wording(
    "consent-2025-02-01.1",
    _("I agree that the law firm may contact me about this case by email, or by phone if I "
      "give a number. I can withdraw this at any time by writing to the firm."),
)

ATTESTATION = Wording(
    "attest-2025-02-01.1",
    _("The answers I gave are true to the best of my knowledge."),
)

PRIVACY_NOTICE = Wording(
    "notice-2025-02-01.1",
    _("The firm keeps your name, email, optional phone number, state and answers to contact "
      "you about this case and to assess the proposed class. They are stored encrypted, seen "
      "only by the firm's staff, never sold or shared for advertising, and deleted when the "
      "firm no longer needs them for this case. Ask the firm at any time to see or delete "
      "them."),
)

NOT_LEGAL_ADVICE = _(
    "This check is not legal advice, and using it or registering does not create an "
    "attorney–client relationship."
)
