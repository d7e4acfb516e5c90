"""caseapp.services.review: reviewing submissions."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from caseapp import review_rules
from caseapp.models import AuditEvent, InfoRequest, Message, ReviewEvent, Submission
from caseapp.services.concurrency import StaleEditError
from caseapp.services.review import (
    submission_assign,
    submission_bulk_update,
    submission_claim_next,
    submission_decide,
    submission_review,
)
from tests.factories import NEEDS_REVIEW_ANSWERS, make_submission
from tests.staff_users import make_staff

pytestmark = pytest.mark.django_db


def test_review_rejects_an_invalid_transition_and_a_missing_reason(case, reviewer):
    submission = make_submission()
    with pytest.raises(ValidationError) as error:
        submission_review(submission=submission, actor=reviewer, expected_version=1,
                          review_status="archived", outcome_override="")
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


def test_bulk_update_is_bounded(case, reviewer):
    with pytest.raises(ValidationError) as error:
        submission_bulk_update(actor=reviewer, references=["x"] * 101,
                               action="assign")
    assert error.value.code == "too_many"


def make_not_eligible() -> Submission:
    """A registration the rules found not eligible (the public check registers few of them)."""
    submission = make_submission()
    Submission.objects.filter(pk=submission.pk).update(outcome="not_eligible")
    submission.refresh_from_db()
    return submission


def test_a_new_submission_is_accepted_in_one_step_and_the_decision_is_audited(case, reviewer):
    submission = make_submission()
    decided = submission_decide(submission=submission, actor=reviewer, expected_version=1,
                                decision="accepted")
    assert (decided.review_status, decided.version) == ("accepted", 2)
    event = ReviewEvent.objects.get(kind="status")
    assert (event.from_value, event.to_value) == ("new", "accepted")
    audit = AuditEvent.objects.get(action="submission.review")
    assert audit.details == {"review_status": "accepted"}


def test_deciding_what_it_already_is_changes_nothing(case, reviewer):
    submission = make_submission()
    submission_decide(submission=submission, actor=reviewer, expected_version=1,
                      decision="accepted")
    again = submission_decide(submission=submission, actor=reviewer, expected_version=2,
                              decision="accepted")
    assert again.version == 2 and ReviewEvent.objects.count() == 1


def test_rejecting_an_eligible_person_needs_a_reason(case, reviewer):
    submission = make_submission()
    with pytest.raises(ValidationError) as error:
        submission_decide(submission=submission, actor=reviewer, expected_version=1,
                          decision="rejected", reason="  ")
    assert error.value.code == "decision_reason_required"
    decided = submission_decide(submission=submission, actor=reviewer, expected_version=1,
                                decision="rejected", reason="Never had Premium")
    assert decided.review_status == "rejected"
    assert ReviewEvent.objects.get(kind="status").text == "Never had Premium"


def test_no_review_path_sets_needs_information_without_a_request_to_the_person(
        case, reviewer):
    """Deciding, saving the review form's status, or a bulk decision: each is refused, and
    nothing is written. Only ``services.info_requests`` asks (and emails) the person."""
    submission = make_submission()
    attempts = [
        lambda: submission_decide(submission=submission, actor=reviewer, expected_version=1,
                                  decision="needs_info", reason="Which account had Premium?"),
        lambda: submission_review(submission=submission, actor=reviewer, expected_version=1,
                                  review_status="needs_info", outcome_override="",
                                  override_reason="Which account had Premium?"),
        lambda: submission_bulk_update(actor=reviewer, references=[submission.reference],
                                       action="status", review_status="needs_info",
                                       reason="Which account had Premium?"),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as error:
            attempt()
        assert error.value.code == "needs_request"
        assert "Needs information" in error.value.messages[0]
    submission.refresh_from_db()
    assert (submission.review_status, submission.version) == ("new", 1)
    assert not ReviewEvent.objects.exists() and not Message.objects.filter(
        kind="info_request").exists()


def test_a_request_that_is_not_this_submissions_open_one_does_not_unlock_needs_information(
        case, reviewer):
    submission, other = make_submission(), make_submission()
    elsewhere = InfoRequest.objects.create(submission=other, reply_by=datetime.date.today())
    answered = InfoRequest.objects.create(submission=submission, reply_by=datetime.date.today(),
                                          answered_at=timezone.now())
    unsaved = InfoRequest(submission=submission, reply_by=datetime.date.today())
    for info_request in (elsewhere, answered, unsaved):
        with pytest.raises(ValidationError) as error:
            submission_review(submission=submission, actor=reviewer, expected_version=1,
                              review_status="needs_info", outcome_override="",
                              override_reason="why", info_request=info_request)
        assert error.value.code == "needs_request"


def test_rejecting_someone_the_rules_found_ineligible_needs_no_reason(case, reviewer):
    submission = make_not_eligible()
    decided = submission_decide(submission=submission, actor=reviewer, expected_version=1,
                                decision="rejected")
    assert decided.review_status == "rejected"


def test_a_not_eligible_submission_cannot_be_accepted(case, reviewer):
    submission = make_not_eligible()
    with pytest.raises(ValidationError) as error:
        submission_decide(submission=submission, actor=reviewer, expected_version=1,
                          decision="accepted")
    assert error.value.code == "accepted_not_eligible"
    assert "Change the outcome first" in error.value.messages[0]
    submission.refresh_from_db()
    assert submission.review_status == "new"
    overridden = submission_review(submission=submission, actor=reviewer, expected_version=1,
                                   review_status="accepted", outcome_override="eligible",
                                   override_reason="Premium confirmed from billing records")
    assert (overridden.review_status, overridden.effective_outcome) == ("accepted", "eligible")


def test_an_accepted_submission_cannot_be_overridden_to_not_eligible(case, reviewer):
    submission = make_submission()
    accepted = submission_decide(submission=submission, actor=reviewer, expected_version=1,
                                 decision="accepted")
    with pytest.raises(ValidationError) as error:
        submission_review(submission=accepted, actor=reviewer, expected_version=2,
                          review_status="accepted", outcome_override="not_eligible",
                          override_reason="No Premium after all")
    assert error.value.code == "accepted_not_eligible"
    rejected = submission_review(submission=accepted, actor=reviewer, expected_version=2,
                                 review_status="rejected", outcome_override="not_eligible",
                                 override_reason="No Premium after all")
    assert (rejected.review_status, rejected.effective_outcome) == ("rejected", "not_eligible")


def test_assigning_a_new_submission_starts_its_review(case, reviewer):
    assigned, decided = make_submission(), make_submission()
    result = submission_assign(submission=assigned, actor=reviewer, expected_version=1,
                               assignee=reviewer)
    assert (result.review_status, result.assignee) == ("in_review", reviewer)
    submission_decide(submission=decided, actor=reviewer, expected_version=1,
                      decision="accepted")
    decided.refresh_from_db()
    assert decided.review_status == "accepted"


def test_bulk_decisions_report_what_changed_and_what_was_refused_and_why(case, reviewer):
    eligible = make_submission()
    needs_review = make_submission(answers=NEEDS_REVIEW_ANSWERS)
    not_eligible = make_not_eligible()
    already = make_submission()
    submission_decide(submission=already, actor=reviewer, expected_version=1,
                      decision="accepted")
    result = submission_bulk_update(
        actor=reviewer, action="status", review_status="accepted",
        references=[eligible.reference, needs_review.reference, not_eligible.reference,
                    already.reference, "LI-2222-2222"])
    assert result.changed == (eligible.reference,)
    assert result.refused == {"accepted_not_eligible": (not_eligible.reference,),
                              "accept_as_eligible": (needs_review.reference,),
                              "unchanged": (already.reference,),
                              "not_found": ("LI-2222-2222",)}
    audit = AuditEvent.objects.get(action="submission.bulk_update")
    assert audit.details["refused"]["accepted_not_eligible"] == [not_eligible.reference]
    rejected = submission_bulk_update(actor=reviewer, action="status", review_status="rejected",
                                      references=[not_eligible.reference, eligible.reference])
    assert rejected.changed == (not_eligible.reference,)
    assert rejected.refused == {"decision_reason_required": (eligible.reference,)}


def test_bulk_assignment_starts_the_review_of_new_submissions(case, reviewer):
    made = [make_submission() for _ in range(2)]
    submission_bulk_update(actor=reviewer, action="assign", assignee=reviewer,
                           references=[s.reference for s in made])
    assert set(Submission.objects.values_list("review_status", flat=True)) == {"in_review"}


def test_claim_next_hands_each_reviewer_a_different_unassigned_submission(case, reviewer):
    other = make_staff("otto", "Reviewer")
    first, second, third = (make_submission() for _ in range(3))
    Submission.objects.filter(pk=first.pk).update(assignee=other)
    order = ["created_at", "id"]
    mine = submission_claim_next(actor=reviewer, candidates=Submission.objects.all(),
                                 order=order)
    theirs = submission_claim_next(actor=other, candidates=Submission.objects.all(),
                                   order=order)
    assert (mine.pk, theirs.pk) == (second.pk, third.pk)
    assert (mine.assignee, mine.review_status) == (reviewer, "in_review")
    assert submission_claim_next(actor=reviewer, candidates=Submission.objects.all(),
                                 order=order) is None
    assert AuditEvent.objects.filter(action="submission.claim").count() == 2


def test_an_erased_submission_is_refused_a_decision_one_at_a_time_and_in_bulk(case, reviewer):
    from caseapp.services.privacy import submission_erase_personal_data

    gone, kept = make_submission(), make_submission()
    submission_erase_personal_data(submission=gone, actor=None, category="person_asked")
    gone.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        submission_decide(submission=gone, actor=reviewer, expected_version=gone.version,
                          decision="accepted")
    assert error.value.code == "erased"
    result = submission_bulk_update(actor=reviewer, references=[gone.reference, kept.reference],
                                    action="status", review_status="accepted")
    assert result.changed == (kept.reference,)
    assert result.refused == {"erased": (gone.reference,)}
    assert Submission.objects.get(pk=gone.pk).review_status == "new"


def test_assigning_an_erased_submission_does_not_start_its_review(case, reviewer):
    from caseapp.services.privacy import submission_erase_personal_data

    one, other = make_submission(), make_submission()
    for row in (one, other):
        submission_erase_personal_data(submission=row, actor=None, category="person_asked")
    one.refresh_from_db()
    submission_assign(submission=one, actor=reviewer, expected_version=one.version,
                      assignee=reviewer)
    submission_bulk_update(actor=reviewer, references=[other.reference], action="assign",
                           assignee=reviewer)
    rows = Submission.objects.filter(pk__in=[one.pk, other.pk])
    assert {row.assignee_id for row in rows} == {reviewer.pk}
    assert {row.review_status for row in rows} == {"new"}
    assert not ReviewEvent.objects.filter(kind="status").exists()


def test_accepting_a_needs_review_submission_accepts_it_as_eligible_with_a_reason(
        case, reviewer):
    needs_review = make_submission(answers=NEEDS_REVIEW_ANSWERS)
    with pytest.raises(ValidationError) as refused:
        submission_decide(submission=needs_review, actor=reviewer, expected_version=1,
                          decision="accepted")
    assert refused.value.code == "accept_as_eligible"
    with pytest.raises(ValidationError) as no_reason:
        submission_decide(submission=needs_review, actor=reviewer, expected_version=1,
                          decision="accepted", as_eligible=True)
    assert no_reason.value.code == "override_reason_required"
    accepted = submission_decide(submission=needs_review, actor=reviewer, expected_version=1,
                                 decision="accepted", as_eligible=True,
                                 reason="Confirmed Premium by phone")
    assert (accepted.review_status, accepted.effective_outcome) == ("accepted", "eligible")
    assert accepted.override_reason == "Confirmed Premium by phone"
    assert review_rules.counts_toward_exposure(
        status=accepted.review_status, outcome=accepted.outcome,
        override=accepted.outcome_override, duplicate=False)
