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
    "consent-2026-12-04.1",
    _("I agree that the law firm may contact me about this case by email, or by phone if I "
      "give a number. I can withdraw at any time at “Manage your registration” on this "
      "site, or by writing to the firm."),
)

ATTESTATION = Wording(
    "attest-2025-02-01.1",
    _("The answers I gave are true to the best of my knowledge."),
)

PRIVACY_NOTICE = Wording(
    "notice-2026-12-04.1",
    _("The firm keeps your name, email, optional phone number, state and answers to contact "
      "you about this case and to study the proposed class. They are stored encrypted and seen "
      "only by the firm's staff. They are never sold or shared for advertising. They are "
      "deleted as the privacy page says. You can see, correct or delete them at any time at "
      "“Manage your registration”."),
)

NOT_LEGAL_ADVICE = _(
    "This check is not legal advice, and using it or registering does not create an "
    "attorney–client relationship."
)
