"""The review workflow's rules, in pure Python like ``eligibility``.

Which status may follow which, what a reviewer may set as the outcome, and what counts toward
the exposure estimate.

Statuses and outcomes are the codes stored on a submission; ``models.Submission.ReviewStatus``
gives them their labels (a test checks that both name the same codes).
"""

from __future__ import annotations

from caseapp import eligibility

NEW, IN_REVIEW, ACCEPTED, REJECTED, NEEDS_INFO = (
    "new", "in_review", "accepted", "rejected", "needs_info")
STATUSES = (NEW, IN_REVIEW, ACCEPTED, REJECTED, NEEDS_INFO)

#: Decided submissions wait for nobody; the others are still open work.
OPEN_STATUSES = frozenset({NEW, IN_REVIEW, NEEDS_INFO})

#: new → in_review → accepted | rejected | needs_info, and each decision back to in_review.
TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({IN_REVIEW}),
    IN_REVIEW: frozenset({ACCEPTED, REJECTED, NEEDS_INFO}),
    ACCEPTED: frozenset({IN_REVIEW}),
    REJECTED: frozenset({IN_REVIEW}),
    NEEDS_INFO: frozenset({IN_REVIEW}),
}

#: What a reviewer may set as the outcome; blank means "use the automatic outcome".
OVERRIDE_OUTCOMES = (
    eligibility.Outcome.ELIGIBLE.value,
    eligibility.Outcome.NEEDS_REVIEW.value,
    eligibility.Outcome.NOT_ELIGIBLE.value,
)


def next_statuses(status: str) -> frozenset[str]:
    """The statuses a submission in ``status`` may move to (none for an unknown code)."""
    return TRANSITIONS.get(status, frozenset())


def effective_outcome(outcome: str, override: str) -> str:
    """The reviewer's outcome where one was set, else the one the rules decided."""
    return override or outcome


def is_open_needs_review(*, status: str, outcome: str, override: str) -> bool:
    """Still open, and needs a person's judgement: the exposure's upper bound counts these as
    if each were accepted."""
    return (status in OPEN_STATUSES
            and effective_outcome(outcome, override) == eligibility.Outcome.NEEDS_REVIEW.value)


def exposure_estimate(*, accepted: int, open_needs_review: int) -> dict:
    """18 U.S.C. § 2707(c)'s minimum per person, for accepted registrants and if every open
    needs-review submission were accepted too. An estimate, never a promise."""
    per_person = eligibility.SCA_STATUTORY_MINIMUM
    return {
        "per_person": per_person,
        "low": accepted * per_person,
        "high": (accepted + open_needs_review) * per_person,
    }
