"""Requests for information: the email at once, one reminder, the answer at /manage/."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caseapp import eligibility, review_rules
from caseapp.models import InfoRequest, InfoRequestReason, Message, ReviewEvent, Submission
from caseapp.services.info_requests import (
    REMINDER_AFTER,
    info_request_answer,
    info_request_reason_save,
    info_request_remind,
    info_request_send,
)
from tests.factories import NEEDS_REVIEW_ANSWERS, make_submission
from tests.smtp import run_worker, tasks_due_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def reason(db):
    return InfoRequestReason.objects.create(
        name="Proof of Premium", public_text="A receipt showing you paid for Premium.",
        public_text_es="Un recibo que muestre que pagó Premium.")


def registered(**kwargs):
    submission = make_submission(**kwargs)
    Message.objects.filter(submission=submission).delete()
    DBTaskResult.objects.all().delete()
    return Submission.objects.get(pk=submission.pk)


def ask(submission, reviewer, reason, note="Your card statement will do."):
    return info_request_send(submission=submission, actor=reviewer,
                             expected_version=submission.version, reasons=[reason], note=note)


def test_asking_emails_the_person_at_once_with_what_is_needed_and_a_reply_by_date(
        case, reviewer, reason, smtp_server):
    case.info_reply_days = 10
    case.save()
    submission = registered(email="asked@example.org")
    info_request = ask(submission, reviewer, reason)
    submission.refresh_from_db()
    assert submission.review_status == review_rules.NEEDS_INFO
    assert submission.assignee == reviewer  # nobody had it: it comes back to the asker
    assert info_request.reply_by == timezone.localdate() + datetime.timedelta(days=10)
    run_worker()
    [received] = smtp_server.to("asked@example.org")
    assert "needs more information" in received.message["Subject"]
    assert "A receipt showing you paid for Premium." in received.text
    assert "Your card statement will do." in received.text
    assert "/manage/" in received.text
    assert info_request.reply_by.strftime("%B") in received.text
    assert "not a legal deadline" in received.text
    kinds = list(ReviewEvent.objects.filter(submission=submission).values_list("kind",
                                                                                flat=True))
    assert "info_requested" in kinds


def test_the_email_is_in_the_persons_language(case, reviewer, reason, smtp_server):
    submission = registered(email="es@example.org", language="es")
    ask(submission, reviewer, reason, note="")
    run_worker()
    [received] = smtp_server.to("es@example.org")
    assert "Un recibo que muestre que pagó Premium." in received.text


def test_the_note_is_sealed_and_the_task_names_only_ids(case, reviewer, reason):
    submission = registered()
    info_request = ask(submission, reviewer, reason, note="Secret detail")
    raw = InfoRequest.objects.filter(pk=info_request.pk).values_list("note", flat=True)
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM caseapp_inforequest WHERE id = %s", [info_request.pk])
        stored = cursor.fetchone()[0]
    assert "Secret" not in stored and list(raw) == ["Secret detail"]
    reminder = DBTaskResult.objects.get(
        task_path="caseapp.services.info_requests.remind_info_request")
    assert reminder.args_kwargs == {"args": [info_request.pk], "kwargs": {}}
    assert reminder.run_after >= timezone.now() + REMINDER_AFTER - datetime.timedelta(minutes=1)


def test_asking_needs_a_reason(case, reviewer):
    submission = registered()
    with pytest.raises(ValidationError) as error:
        info_request_send(submission=submission, actor=reviewer,
                          expected_version=submission.version, reasons=[])
    assert error.value.code == "reason_required"


def test_one_reminder_after_seven_days_if_unanswered(case, reviewer, reason, smtp_server):
    submission = registered(email="slow@example.org")
    info_request = ask(submission, reviewer, reason)
    run_worker()  # the request; the reminder is not due yet
    assert len(smtp_server.to("slow@example.org")) == 1
    assert info_request_remind(info_request_id=info_request.pk) == "not due"
    InfoRequest.objects.filter(pk=info_request.pk).update(
        requested_at=timezone.now() - REMINDER_AFTER - datetime.timedelta(hours=1))
    assert tasks_due_now() == 1
    run_worker()
    assert info_request_remind(info_request_id=info_request.pk) == "not due"  # once only
    run_worker()
    received = smtp_server.to("slow@example.org")
    assert len(received) == 2
    assert received[1].message["Subject"].startswith("Reminder")
    assert ReviewEvent.objects.filter(submission=submission, kind="info_reminded").count() == 1


def test_no_reminder_once_answered(case, reviewer, reason):
    submission = registered()
    info_request = ask(submission, reviewer, reason)
    info_request_answer(submission=submission, answer="Attached to my email.")
    InfoRequest.objects.filter(pk=info_request.pk).update(
        requested_at=timezone.now() - REMINDER_AFTER - datetime.timedelta(hours=1))
    assert info_request_remind(info_request_id=info_request.pk) == "not due"
    assert not Message.objects.filter(kind=Message.Kind.INFO_REMINDER).exists()


def test_the_answer_is_sealed_and_the_registration_returns_as_information_received(
        case, reviewer, reason):
    submission = registered(answers=NEEDS_REVIEW_ANSWERS)
    ask(submission, reviewer, reason)
    info_request = info_request_answer(
        submission=submission, answer="I sent InMail in 2023.",
        answers={"inmail": "sent", "inmail_before_cutoff": "yes",
                 "discovered": eligibility.DISCOVERED_AFTER_FILING})
    submission.refresh_from_db()
    assert submission.review_status == review_rules.INFO_RECEIVED
    assert submission.outcome == "eligible"  # re-evaluated by the current rules
    assert submission.rules_version == eligibility.RULES_VERSION
    assert submission.answers["discovered"] == eligibility.DISCOVERED_AFTER_FILING
    assert info_request.answer == "I sent InMail in 2023." and info_request.answered_at
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT answer FROM caseapp_inforequest WHERE id = %s",
                       [info_request.pk])
        assert "InMail" not in cursor.fetchone()[0]
    event = ReviewEvent.objects.get(submission=submission, kind="info_received")
    assert event.text == "I sent InMail in 2023."


def test_an_answer_needs_an_open_request_and_text(case, reviewer, reason):
    submission = registered()
    with pytest.raises(ValidationError) as error:
        info_request_answer(submission=submission, answer="Hello")
    assert error.value.code == "no_request"
    ask(submission, reviewer, reason)
    with pytest.raises(ValidationError) as error:
        info_request_answer(submission=submission, answer="   ")
    assert error.value.code == "required"


def test_a_reason_needs_both_languages(case, supervisor):
    with pytest.raises(ValidationError) as error:
        info_request_reason_save(reason=None, actor=supervisor, name="X", public_text="English",
                                 public_text_es="", active=True)
    assert error.value.code == "wording_required"
    saved = info_request_reason_save(reason=None, actor=supervisor, name="X",
                                     public_text="English", public_text_es="Español",
                                     active=False)
    assert not saved.active


def test_erasure_deletes_the_note_and_the_answer(case, reviewer, reason):
    from caseapp.services.privacy import submission_erase_personal_data

    submission = registered()
    info_request = ask(submission, reviewer, reason, note="About your card")
    info_request_answer(submission=submission, answer="My card ends 1234")
    submission_erase_personal_data(submission=submission, actor=reviewer,
                                   category="person_asked")
    info_request.refresh_from_db()
    assert info_request.note == "" and info_request.answer == ""
    assert not ReviewEvent.objects.filter(submission=submission).exclude(text="").exists()
