"""The review workflow's rules, in pure Python like ``eligibility``.

Which status may follow which, what a reviewer may set as the outcome, and what counts toward
the exposure estimate.

Statuses and outcomes are the codes stored on a submission; ``models.Submission.ReviewStatus``
gives them their labels (a test checks that both name the same codes).
"""

from __future__ import annotations

import datetime

from caseapp import eligibility

NEW, IN_REVIEW, ACCEPTED, REJECTED, NEEDS_INFO = (
    "new", "in_review", "accepted", "rejected", "needs_info")
#: Set by events, never chosen: the person answered a request for information; a reviewer
#: marked the submission a duplicate of another (closed: out of open work, ageing, exposure
#: and the default audience of updates).
INFO_RECEIVED, DUPLICATE = "info_received", "duplicate"
STATUSES = (NEW, IN_REVIEW, ACCEPTED, REJECTED, NEEDS_INFO, INFO_RECEIVED, DUPLICATE)

#: Decided submissions wait for nobody; the others are still open work.
OPEN_STATUSES = frozenset({NEW, IN_REVIEW, NEEDS_INFO, INFO_RECEIVED})

#: The three decisions a reviewer makes; each is one step from wherever the submission stands.
DECISIONS = (ACCEPTED, REJECTED, NEEDS_INFO)

#: Decisions that are a request to the person, never a status alone: "needs information" is
#: set only together with a request for information (its email queued in the same
#: transaction), since the person's /manage/ page tells them to look for that email.
REQUEST_DECISIONS = frozenset({NEEDS_INFO})

#: Any decision from any other status (a correction is one step too); "in review" from any
#: other status (reopening); nothing goes back to "new". Claiming or assigning a new
#: submission is what puts it "in review" (``status_when_opened``), not a separate save.
TRANSITIONS: dict[str, frozenset[str]] = {
    status: frozenset(
        {decision for decision in DECISIONS if decision != status}
        | ({IN_REVIEW} if status != IN_REVIEW else set())
    )
    for status in STATUSES
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


def status_when_opened(status: str) -> str:
    """A reviewer who claims or is given a new submission has started on it; opening it
    alone changes nothing."""
    return IN_REVIEW if status == NEW else status


#: Why a review change is refused; the service words each for the reviewer.
REFUSED_UNCHANGED = "unchanged"
REFUSED_TRANSITION = "invalid_transition"
REFUSED_ACCEPTED_NOT_ELIGIBLE = "accepted_not_eligible"
REFUSED_REASON_REQUIRED = "decision_reason_required"
REFUSED_ERASED = "erased"
REFUSED_ACCEPT_AS_ELIGIBLE = "accept_as_eligible"
REFUSED_NEEDS_REQUEST = "needs_request"
REFUSED_AWAITING_ANSWER = "awaiting_answer"

#: Outcomes the rules could not settle: accepting one means accepting it as eligible.
UNSETTLED_OUTCOMES = (eligibility.Outcome.NEEDS_REVIEW.value,
                      eligibility.Outcome.INCOMPLETE.value)


def accepting_means_override(*, outcome: str, override: str) -> bool:
    """Accepting this submission must also set its outcome to eligible (with a reason): its
    effective outcome is one the rules left open, and an accepted "needs review" counted
    nowhere (neither owed nor open in the exposure estimate)."""
    return effective_outcome(outcome, override) in UNSETTLED_OUTCOMES


def decision_needs_reason(*, decision: str, outcome: str, override: str) -> bool:
    """Asking for information needs to say what is missing; rejecting someone whom the rules
    (or a reviewer) did not find ineligible needs to say why. Accepting needs no reason."""
    if decision == NEEDS_INFO:
        return True
    if decision == REJECTED:
        return effective_outcome(outcome, override) != eligibility.Outcome.NOT_ELIGIBLE.value
    return False


def request_refusal(*, status: str, erased: bool) -> str | None:
    """Why a request for information to this person is refused, or None: nobody is left to
    ask once the data is erased, and one already waiting for an answer is asked once (a bulk
    request leaves it out; a reviewer who needs more writes to it alone)."""
    if erased:
        return REFUSED_ERASED
    if status == NEEDS_INFO:
        return REFUSED_AWAITING_ANSWER
    return None


def review_refusal(*, status: str, new_status: str, outcome: str, override: str,
                   new_override: str, reason_given: bool, erased: bool = False,
                   requested: bool = False) -> str | None:
    """Why moving (status, override) to (new_status, new_override) is refused, or None.

    Once the person's data is erased (``erased``: withdrawn, on request, or by the retention
    purge) there is nobody left to decide about, so nothing moves. An accepted submission can
    be owed the statutory minimum only if its effective outcome is eligible: "accepted" and
    "not eligible" at once would count someone who cannot be owed anything, and "accepted"
    with "needs review" (or "incomplete") someone counted nowhere, so those pairs are refused
    however they would come about; the reviewer accepts such a one as eligible, with a
    reason. "Needs information" comes only with a request to the person (``requested``: the
    caller makes the request in the same transaction), never as a status alone."""
    if erased:
        return REFUSED_ERASED
    if new_status == status and new_override == override:
        return REFUSED_UNCHANGED
    if new_status != status and new_status not in next_statuses(status):
        return REFUSED_TRANSITION
    if new_status != status and new_status in REQUEST_DECISIONS and not requested:
        return REFUSED_NEEDS_REQUEST
    if (new_status == ACCEPTED and effective_outcome(outcome, new_override)
            == eligibility.Outcome.NOT_ELIGIBLE.value):
        return REFUSED_ACCEPTED_NOT_ELIGIBLE
    if new_status == ACCEPTED and accepting_means_override(outcome=outcome,
                                                           override=new_override):
        return REFUSED_ACCEPT_AS_ELIGIBLE
    if (new_status != status and new_status in DECISIONS and not reason_given
            and decision_needs_reason(decision=new_status, outcome=outcome,
                                      override=new_override)):
        return REFUSED_REASON_REQUIRED
    return None


def effective_outcome(outcome: str, override: str) -> str:
    """The reviewer's outcome where one was set, else the one the rules decided."""
    return override or outcome


def is_open_needs_review(*, status: str, outcome: str, override: str) -> bool:
    """Still open, and needs a person's judgement: the exposure's upper bound counts these as
    if each were accepted."""
    return (status in OPEN_STATUSES
            and effective_outcome(outcome, override) == eligibility.Outcome.NEEDS_REVIEW.value)


def counts_toward_exposure(*, status: str, outcome: str, override: str,
                           duplicate: bool, erased: bool = False) -> bool:
    """What can be owed: an accepted registrant whose effective outcome is eligible, who is
    not marked as a duplicate of another registration (one person, one minimum), and whose
    registration still stands (``erased``: withdrawn by the person, erased on request or by
    the retention rule; the firm no longer has anyone to count there)."""
    return (status == ACCEPTED and not duplicate and not erased
            and effective_outcome(outcome, override) == eligibility.Outcome.ELIGIBLE.value)


def exposure_estimate(*, accepted: int, open_needs_review: int) -> dict:
    """18 U.S.C. § 2707(c)'s minimum per person, for accepted registrants and if every open
    needs-review submission were accepted too. An estimate, never a promise."""
    per_person = eligibility.SCA_STATUTORY_MINIMUM
    return {
        "per_person": per_person,
        "low": accepted * per_person,
        "high": (accepted + open_needs_review) * per_person,
    }


def time_limit_last_day(*, discovered: str | None,
                        reference_date: datetime.date) -> datetime.date:
    """The last day of § 2707(f)'s two years as the person's discovery answer puts it (the
    case's reference date when they did not answer or do not remember)."""
    return discovery_limit_last_day(discovered, reference_date)


def time_limit_flagged(*, received_on: datetime.date, discovered: str | None,
                       reference_date: datetime.date) -> bool:
    """Received after the two years from discovery ran out: a reviewer must look at the date.
    A flag for a lawyer, never a verdict (tolling, later discovery)."""
    return sca_limit_passed(
        DISCOVERY_PERIOD_START.get(discovered or "", reference_date), received_on)


# --- the time limit -------------------------------------------------------------------------

#: 18 U.S.C. § 2707(f): an action must be brought within two years after the claimant first
#: discovered, or had a reasonable opportunity to discover, the violation.
SCA_LIMIT_YEARS = 2


def sca_limit_last_day(reference_date: datetime.date) -> datetime.date:
    """The last day of the § 2707(f) two years counted from ``reference_date``; from 29
    February, the 28th (the anniversary that exists)."""
    try:
        return reference_date.replace(year=reference_date.year + SCA_LIMIT_YEARS)
    except ValueError:  # 29 February
        return reference_date.replace(year=reference_date.year + SCA_LIMIT_YEARS, day=28)


def sca_limit_passed(reference_date: datetime.date, today: datetime.date) -> bool:
    """Whether ``today`` is after the last day of the two years. A lawyer decides whether a
    claim is in time (tolling, later discovery); this only says the usual date has gone by."""
    return today > sca_limit_last_day(reference_date)


#: The first day of each answer's period: the policy update (2024-09-18) and the filing's
#: report (2025-01-21). "Before" has no first day; counting from the policy update gives the
#: latest the two years can have run, so staff read it as "at the latest".
DISCOVERY_PERIOD_START = {
    eligibility.DISCOVERED_BEFORE_POLICY: datetime.date(2024, 9, 18),
    eligibility.DISCOVERED_AFTER_POLICY: datetime.date(2024, 9, 18),
    eligibility.DISCOVERED_AFTER_FILING: datetime.date(2025, 1, 21),
}


def discovery_limit_last_day(code: str | None, reference_date: datetime.date) -> datetime.date:
    """The last day of the two years counted from the start of the period the discovery
    answer names; without an answer (or "I don't remember"), from ``reference_date``. For
    "before September 18, 2024" the two years ran out on that date's anniversary at the
    latest."""
    start = DISCOVERY_PERIOD_START.get(code or "", reference_date)
    return sca_limit_last_day(start)
