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
    effective_outcome,
    exposure_estimate,
    is_open_needs_review,
    next_statuses,
)

DECISIONS = {ACCEPTED, REJECTED, NEEDS_INFO}
OUTCOMES = [o.value for o in eligibility.Outcome]


def allowed(old: str, new: str) -> bool:
    """The workflow in words: a decision is made only from "in review"; any other status goes
    back to "in review"; nothing else moves."""
    if new in DECISIONS:
        return old == IN_REVIEW
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
    undecided = status in {NEW, IN_REVIEW, NEEDS_INFO}
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
