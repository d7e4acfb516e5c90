"""The review workflow's rules, checked against a restatement of them written separately."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseapp import eligibility, review_rules
from caseapp.review_rules import (
    ACCEPTED,
    IN_REVIEW,
    NEEDS_INFO,
    NEW,
    REJECTED,
    STATUSES,
    counts_toward_exposure,
    decision_needs_reason,
    effective_outcome,
    exposure_estimate,
    is_open_needs_review,
    next_statuses,
    review_refusal,
    status_when_opened,
)

DECISIONS = {ACCEPTED, REJECTED, NEEDS_INFO}
OUTCOMES = [o.value for o in eligibility.Outcome]


def allowed(old: str, new: str) -> bool:
    """The workflow in words: a decision is one step from any other status; any other status
    goes back to "in review"; nothing returns to "new"."""
    if new in DECISIONS:
        return old != new
    if new == IN_REVIEW:
        return old != IN_REVIEW
    return False


@pytest.mark.parametrize(("old", "new"), list(itertools.product(STATUSES, STATUSES)))
def test_every_transition_is_allowed_exactly_when_the_workflow_says(old, new):
    assert (new in next_statuses(old)) is allowed(old, new)


def test_an_unknown_status_can_move_nowhere():
    assert next_statuses("archived") == frozenset()


def test_the_model_labels_the_same_statuses_the_rules_know():
    from caseapp.models import Submission

    assert tuple(Submission.ReviewStatus.values) == STATUSES


def test_a_reviewer_may_set_every_decided_outcome_but_incomplete():
    assert set(review_rules.OVERRIDE_OUTCOMES) == set(OUTCOMES) - {
        eligibility.Outcome.INCOMPLETE.value}


@pytest.mark.parametrize(("outcome", "override"),
                         list(itertools.product(OUTCOMES, ["", *review_rules.OVERRIDE_OUTCOMES])))
def test_the_effective_outcome_is_the_override_where_there_is_one(outcome, override):
    assert effective_outcome(outcome, override) == (override if override else outcome)


@pytest.mark.parametrize(("status", "outcome", "override"), list(itertools.product(
    STATUSES, OUTCOMES, ["", *review_rules.OVERRIDE_OUTCOMES])))
def test_open_needs_review_is_undecided_work_whose_effective_outcome_needs_review(
        status, outcome, override):
    undecided = status in {NEW, IN_REVIEW, NEEDS_INFO, review_rules.INFO_RECEIVED}
    needs_review = (override or outcome) == "needs_review"
    assert is_open_needs_review(status=status, outcome=outcome, override=override) is (
        undecided and needs_review)


@given(st.integers(0, 10**7), st.integers(0, 10**7))
def test_the_exposure_is_the_statutory_minimum_per_person(accepted, open_needs_review):
    estimate = exposure_estimate(accepted=accepted, open_needs_review=open_needs_review)
    assert estimate == {"per_person": 1000, "low": accepted * 1000,
                        "high": (accepted + open_needs_review) * 1000}


def test_the_rules_module_imports_nothing_from_django():
    import ast
    import pathlib

    tree = ast.parse(pathlib.Path(review_rules.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any(name.startswith("django") for name in imported), imported


def test_the_three_decisions_are_accept_reject_and_needs_information():
    assert set(review_rules.DECISIONS) == DECISIONS


@pytest.mark.parametrize("status", STATUSES)
def test_opening_starts_the_review_of_a_new_submission_only(status):
    assert status_when_opened(status) == (IN_REVIEW if status == NEW else status)


OVERRIDES = ["", *review_rules.OVERRIDE_OUTCOMES]


@pytest.mark.parametrize(("decision", "outcome", "override"), list(itertools.product(
    STATUSES, OUTCOMES, OVERRIDES)))
def test_a_reason_is_asked_for_needs_information_and_for_rejecting_the_not_ineligible(
        decision, outcome, override):
    ineligible = (override or outcome) == "not_eligible"
    expected = decision == NEEDS_INFO or (decision == REJECTED and not ineligible)
    assert decision_needs_reason(decision=decision, outcome=outcome,
                                 override=override) is expected


def refusal(status, new_status, outcome, override, new_override, reason_given, erased,
            requested):
    """The refusals in words, in the order a reviewer would want to hear them."""
    if erased:
        return "erased"
    if (status, override) == (new_status, new_override):
        return "unchanged"
    if new_status != status and not allowed(status, new_status):
        return "invalid_transition"
    if new_status != status and new_status == NEEDS_INFO and not requested:
        return "needs_request"  # only with a request to the person, its email queued
    if new_status == ACCEPTED and (new_override or outcome) == "not_eligible":
        return "accepted_not_eligible"
    if new_status == ACCEPTED and (new_override or outcome) in ("needs_review", "incomplete"):
        return "accept_as_eligible"  # accepted means eligible: the reviewer says so, with why
    if new_status != status and not reason_given and (
            new_status == NEEDS_INFO
            or (new_status == REJECTED and (new_override or outcome) != "not_eligible")):
        return "decision_reason_required"
    return None


@pytest.mark.parametrize(("status", "new_status"), list(itertools.product(STATUSES, STATUSES)))
def test_a_review_change_is_refused_exactly_when_the_workflow_says(status, new_status):
    for outcome, override, new_override, reason_given, erased, requested in itertools.product(
            OUTCOMES, OVERRIDES, OVERRIDES, (False, True), (False, True), (False, True)):
        assert review_refusal(
            status=status, new_status=new_status, outcome=outcome, override=override,
            new_override=new_override, reason_given=reason_given, erased=erased,
            requested=requested,
        ) == refusal(status, new_status, outcome, override, new_override, reason_given,
                     erased, requested), (outcome, override, new_override, reason_given,
                                          erased, requested)


@pytest.mark.parametrize("status", STATUSES)
def test_a_request_for_information_asks_nobody_erased_and_nobody_twice(status):
    for erased in (False, True):
        expected = ("erased" if erased else "awaiting_answer" if status == NEEDS_INFO
                    else None)
        assert review_rules.request_refusal(status=status, erased=erased) == expected


@pytest.mark.parametrize(("status", "outcome", "override", "duplicate", "erased"),
                         list(itertools.product(STATUSES, OUTCOMES, OVERRIDES, (False, True),
                                                (False, True))))
def test_only_accepted_eligible_registrants_still_standing_count_toward_exposure(
        status, outcome, override, duplicate, erased):
    expected = (status == ACCEPTED and (override or outcome) == "eligible" and not duplicate
                and not erased)
    assert counts_toward_exposure(status=status, outcome=outcome, override=override,
                                  duplicate=duplicate, erased=erased) is expected


@pytest.mark.django_db
@pytest.mark.parametrize(("old", "new", "allowed"), [
    ("new", "in_review", True), ("new", "accepted", True), ("new", "rejected", True),
    ("in_review", "accepted", True), ("in_review", "rejected", True),
    ("in_review", "needs_info", True), ("accepted", "in_review", True),
    ("rejected", "in_review", True), ("needs_info", "in_review", True),
    ("accepted", "rejected", True), ("needs_info", "new", False), ("in_review", "new", False),
    ("accepted", "accepted", False),
])
def test_review_workflow(old, new, allowed):
    assert (new in next_statuses(old)) is allowed
