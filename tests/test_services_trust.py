"""Erasure on request and the retention purge."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.utils import timezone

from caseapp.models import AuditEvent, ReviewEvent, Submission
from caseapp.services.audit import audit_record
from caseapp.services.intake import daily_count_increment
from caseapp.services.privacy import retention_purge, submission_erase_personal_data

from .factories import close_case, make_submission

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


def test_deleting_a_staff_account_keeps_its_audit_trail(supervisor):
    audit_record(actor=supervisor, action="test.action")
    supervisor.delete()
    event = AuditEvent.objects.get(action="test.action")
    assert event.actor is None and event.actor_label == "sup"


@pytest.mark.django_db(transaction=True)
def test_only_a_lone_counter_skips_waiting_for_the_disk_never_a_registration(case):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from caseapp.models import DailyCount

    with CaptureQueriesContext(connection) as lone:
        daily_count_increment(metric=DailyCount.Metric.STARTED)
    with CaptureQueriesContext(connection) as registration:
        make_submission()
    relaxed = [q["sql"] for q in lone.captured_queries if "synchronous_commit" in q["sql"]]
    assert len(relaxed) == (1 if connection.vendor == "postgresql" else 0)
    assert not any("synchronous_commit" in q["sql"] for q in registration.captured_queries)
    assert DailyCount.objects.get(metric="started").count == 1
    assert DailyCount.objects.get(metric="registered").count == 1
