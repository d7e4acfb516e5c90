"""caseapp.services.privacy: personal data over time."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.utils import timezone

from caseapp.models import AuditEvent, ReviewEvent, Submission
from caseapp.services.privacy import retention_purge, submission_erase_personal_data
from tests.factories import close_case, make_submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor():
    return get_user_model().objects.create_user("sup", password="x" * 16)


def test_erasure_keeps_an_anonymous_stub_and_audits_the_reason(supervisor):
    submission = make_submission(full_name="Erase Me", email="erase@example.com",
                                 phone="415 555 0100")
    ReviewEvent.objects.create(submission=submission, kind="note", text="called Erase Me")
    submission_erase_personal_data(submission=submission, actor=supervisor,
                                   category="person_asked", note="Claimant asked by email")
    stub = Submission.objects.get(pk=submission.pk)
    assert (stub.full_name, stub.email, stub.phone, stub.email_index) == ("", "", "", "")
    assert stub.personal_data_erased_at is not None
    assert stub.outcome == submission.outcome and stub.created_at == submission.created_at
    assert stub.answers == submission.answers
    assert ReviewEvent.objects.get().text == ""
    event = AuditEvent.objects.get(action="submission.erase")
    assert event.target == submission.reference
    assert event.details["reason"] == "person_asked"
    assert event.note == "Claimant asked by email"
    assert event.actor == supervisor


def test_erasure_needs_a_reason(supervisor):
    submission = make_submission()
    with pytest.raises(ValidationError):
        submission_erase_personal_data(submission=submission, actor=supervisor,
                                       category="other", note="  ")
    with pytest.raises(ValidationError):
        submission_erase_personal_data(submission=submission, actor=supervisor,
                                       category="because", note="a reason")
    assert Submission.objects.get(pk=submission.pk).full_name


def test_purge_deletes_expired_sessions_only(case):
    now = timezone.now()
    hour = datetime.timedelta(hours=1)
    Session.objects.create(session_key="old", session_data="", expire_date=now - hour)
    Session.objects.create(session_key="live", session_data="", expire_date=now + hour)
    result = retention_purge(case=case)
    assert result.sessions_deleted == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]


def test_closed_case_is_purged_after_its_retention_period(case):
    submission = make_submission(full_name="Old Claimant")
    close_case(case, days_ago=31)
    result = retention_purge(case=case)
    assert result.submissions_erased == 1
    assert Submission.objects.get(pk=submission.pk).full_name == ""
    event = AuditEvent.objects.get(action="retention.purge")
    assert event.details["submissions_erased"] == 1
    assert "Old Claimant" not in str(event.details)


def test_closed_case_within_retention_is_kept(case):
    make_submission(full_name="Recent Claimant")
    close_case(case, days_ago=5)
    assert retention_purge(case=case).submissions_erased == 0
    assert Submission.objects.get().full_name == "Recent Claimant"


def test_legal_hold_stops_the_purge(case):
    make_submission(full_name="Held Claimant")
    close_case(case, days_ago=400, hold=True)
    result = retention_purge(case=case)
    assert result.submissions_erased == 0 and result.skipped_for_legal_hold
    assert Submission.objects.get().full_name == "Held Claimant"


def test_open_case_is_never_purged(case):
    make_submission()
    case.closed_on = timezone.localdate() - datetime.timedelta(days=1000)
    case.save()
    assert retention_purge(case=case).submissions_erased == 0
