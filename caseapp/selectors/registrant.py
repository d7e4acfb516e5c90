"""Reads about one registration as its registrant sees it: their details partly masked, and
everything the firm holds about them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from caseapp import eligibility
from caseapp.models import Submission

#: The result page's own words for each outcome: the copy never says "Eligible" (with the case
#: dismissed there is no class to be eligible for) and never gives a dollar figure.
ANSWERS_MEANING = {
    eligibility.Outcome.ELIGIBLE.value: _(
        "From your answers, you would have fit the proposed class as it was described."),
    eligibility.Outcome.NEEDS_REVIEW.value: _(
        "From your answers, you might have fit the proposed class as it was described. Some "
        "answers were “not sure”, so the firm would need to check with you."),
    eligibility.Outcome.NOT_ELIGIBLE.value: _(
        "From your answers, you would not have fit the proposed class as it was described."),
    eligibility.Outcome.INCOMPLETE.value: _(
        "From your answers, you would not have fit the proposed class as it was described."),
}


def answers_meaning(outcome: str) -> str:
    return str(ANSWERS_MEANING.get(outcome, ""))


def submission_signed_in(*, submission_id: object) -> Submission | None:
    """The registration a /manage/ sign-in names, unless its personal data is gone (withdrawn,
    erased or purged since): then there is nothing left to manage."""
    return Submission.objects.select_related("case").filter(
        pk=submission_id, personal_data_erased_at__isnull=True).first()


def mask_email(email: str) -> str:
    """``j•••@example.org``: enough for the person to recognise it, little for anyone else."""
    local, at, domain = email.partition("@")
    if not at:
        return "•••"
    return f"{local[:1]}•••@{domain}"


def mask_phone(phone: str) -> str:
    digits = [c for c in phone if c.isdigit()]
    return f"•••• {''.join(digits[-2:])}" if digits else ""


def submission_registrant_copy(*, submission: Submission) -> dict:
    """Everything the firm holds about this person, as they may read it (CCPA right to know).

    The firm's internal review notes are not in it (the page says so). The outcome is in the
    result page's words; the stored figure used for the firm's counts is not a person's
    damages and is left out (issue 21)."""
    answers = []
    for question in eligibility.applicable_questions(submission.answers):
        code = submission.answers.get(question.key)
        if code is not None:
            answers.append({"question": str(question.text),
                            "answer": str(question.choice(code).label), "code": code})
    messages = [
        {"kind": m.kind, "created_at": m.created_at.isoformat(), "status": m.status,
         "sent_at": m.sent_at.isoformat() if m.sent_at else None}
        for m in submission.messages.order_by("created_at", "id")
    ]
    return {
        "reference": submission.reference,
        "case": {"name": submission.case.name, "docket_number": submission.case.docket_number},
        "registered_at": submission.created_at.isoformat(),
        "language": submission.language,
        "contact": {"full_name": submission.full_name, "email": submission.email,
                    "phone": submission.phone, "state": submission.state},
        "email_confirmed_at": (submission.email_confirmed_at.isoformat()
                               if submission.email_confirmed_at else None),
        "case_updates_unsubscribed_at": (submission.updates_unsubscribed_at.isoformat()
                                         if submission.updates_unsubscribed_at else None),
        "answers": answers,
        "what_your_answers_mean": answers_meaning(submission.outcome),
        "after_the_firms_review": (answers_meaning(submission.outcome_override)
                                   if submission.outcome_override else None),
        "review_status": submission.review_status,
        "versions": {"rules": submission.rules_version, "consent": submission.consent_version,
                     "attestation": submission.attestation_version,
                     "privacy_notice": submission.notice_version},
        "messages": messages,
    }
