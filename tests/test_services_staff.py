"""Staff writes: review workflow, overrides, stale saves, duplicates, bulk, case, audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from caseapp.models import AuditEvent, ReviewEvent, Submission
from caseapp.review_rules import next_statuses
from caseapp.services.audit import audit_record
from caseapp.services.concurrency import StaleEditError
from caseapp.services.intake import submission_indexes, submission_refresh_duplicate_flags
from caseapp.services.review import (
    submission_bulk_update,
    submission_mark_duplicate,
    submission_review,
)
from tests.factories import make_submission
from tests.staff_users import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(db):
    return make_staff("rita", "Reviewer")


@pytest.mark.parametrize(("old", "new", "allowed"), [
    ("new", "in_review", True), ("new", "accepted", False),
    ("in_review", "accepted", True), ("in_review", "rejected", True),
    ("in_review", "needs_info", True), ("accepted", "in_review", True),
    ("rejected", "in_review", True), ("needs_info", "in_review", True),
    ("accepted", "rejected", False), ("needs_info", "new", False),
])
def test_review_workflow(old, new, allowed):
    assert (new in next_statuses(old)) is allowed


def test_audit_record_takes_the_ip_and_refuses_updates(reviewer):
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9")
    event = audit_record(actor=reviewer, action="case.update", target="x",
                         details={"a": 1}, request=request)
    assert (event.ip_address, event.actor_label) == ("203.0.113.9", "rita")
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


def test_review_rejects_an_invalid_transition_and_a_missing_reason(case, reviewer):
    submission = make_submission()
    with pytest.raises(ValidationError) as error:
        submission_review(submission=submission, actor=reviewer, expected_version=1,
                          review_status="accepted", outcome_override="")
    assert error.value.code == "invalid_transition"
    with pytest.raises(ValidationError) as error:
        submission_review(submission=submission, actor=reviewer, expected_version=1,
                          review_status="new", outcome_override="not_eligible")
    assert error.value.code == "override_reason_required"
    assert ReviewEvent.objects.count() == 0


def test_review_stale_version_raises_and_writes_nothing(case, reviewer):
    submission = make_submission()
    submission_review(submission=submission, actor=reviewer, expected_version=1,
                      review_status="in_review", outcome_override="")
    with pytest.raises(StaleEditError) as error:
        submission_review(submission=submission, actor=reviewer, expected_version=1,
                          review_status="in_review", outcome_override="eligible",
                          override_reason="why")
    assert error.value.current.version == 2
    submission.refresh_from_db()
    assert submission.outcome_override == ""
    assert ReviewEvent.objects.count() == 1


def test_review_without_changes_keeps_the_version(case, reviewer):
    submission = make_submission()
    result = submission_review(submission=submission, actor=reviewer,
                               expected_version=1, review_status="new",
                               outcome_override="")
    assert result.version == 1
    assert not AuditEvent.objects.filter(action="submission.review").exists()


def test_new_submission_flags_itself_and_its_twin(case):
    first = make_submission(email="Twin@Example.com")
    lone = make_submission()
    second = make_submission(email=" twin@example.com ")
    for submission, flagged in ((first, True), (second, True), (lone, False)):
        submission.refresh_from_db()
        assert submission.possible_duplicate is flagged


def test_refresh_duplicate_flags_finds_shared_indexes(case):
    a, b, c = make_submission(), make_submission(), make_submission()
    Submission.objects.filter(pk=b.pk).update(email_index=a.email_index)
    Submission.objects.update(possible_duplicate=False)
    assert submission_refresh_duplicate_flags() == 2
    assert set(Submission.objects.filter(possible_duplicate=True)
               .values_list("pk", flat=True)) == {a.pk, b.pk}
    assert not Submission.objects.get(pk=c.pk).possible_duplicate


def test_mark_duplicate_refuses_a_cycle(case, reviewer):
    a, b = make_submission(), make_submission()
    submission_mark_duplicate(submission=a, actor=reviewer, expected_version=1,
                              duplicate_of=b)
    b.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        submission_mark_duplicate(submission=b, actor=reviewer, expected_version=1,
                                  duplicate_of=a)
    assert error.value.code == "duplicate_cycle"


def test_bulk_update_is_bounded(case, reviewer):
    with pytest.raises(ValidationError) as error:
        submission_bulk_update(actor=reviewer, references=["x"] * 101,
                               action="assign")
    assert error.value.code == "too_many"


def test_indexes_match_what_registration_stores(case):
    submission = make_submission(full_name="  Ada   Lovelace ", email=" ADA@example.com ",
                                 state="NY")
    assert submission_indexes(full_name="ada lovelace", email="ada@example.com",
                              state="NY") == {
        "email_index": submission.email_index, "name_index": submission.name_index,
        "name_state_index": submission.name_state_index}
