"""Requests for information: the email at once, one reminder, the answer at /manage/."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caseapp import eligibility, review_rules
from caseapp.models import (
    AuditEvent,
    InfoRequest,
    InfoRequestReason,
    Message,
    ReviewEvent,
    Submission,
)
from caseapp.services.info_requests import (
    REMINDER_AFTER,
    info_request_answer,
    info_request_reason_save,
    info_request_remind,
    info_request_send,
    info_request_send_bulk,
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


# --- many at once: the queue's "Ask for information" -------------------------------------


def ask_many(reviewer, references, reasons, token="token-1", note="A card statement will do."):
    return info_request_send_bulk(actor=reviewer, references=references, reasons=reasons,
                                  note=note, submit_token=token)


def test_a_bulk_request_emails_each_person_once_and_names_those_it_left_out(
        case, reviewer, reason, smtp_server):
    from caseapp.services.privacy import submission_erase_personal_data

    fresh = [registered(email=f"p{n}@example.org") for n in range(3)]
    waiting, gone = registered(email="waiting@example.org"), registered(email="gone@example.org")
    ask(waiting, reviewer, reason)
    submission_erase_personal_data(submission=gone, actor=None, category="person_asked")
    result, sent = ask_many(reviewer, [s.reference for s in (*fresh, waiting, gone)]
                            + ["LI-2222-2222"], [reason])
    assert sent and result.changed == tuple(sorted(s.reference for s in fresh))
    assert result.refused == {"awaiting_answer": (waiting.reference,),
                              "erased": (gone.reference,), "not_found": ("LI-2222-2222",)}
    for submission in fresh:  # each exactly as if asked alone
        submission.refresh_from_db()
        assert (submission.review_status, submission.assignee) == ("needs_info", reviewer)
        [info_request] = InfoRequest.objects.filter(submission=submission)
        assert list(info_request.reasons.all()) == [reason]
        assert info_request.note == "A card statement will do."
    run_worker()
    for n in range(3):
        [received] = smtp_server.to(f"p{n}@example.org")
        assert "A receipt showing you paid for Premium." in received.text
    assert len(smtp_server.to("waiting@example.org")) == 1  # its first request, not again
    assert AuditEvent.objects.get(action="submission.bulk_info_request").details[
        "references"] == list(result.changed)


def test_a_bulk_request_submitted_twice_sends_once(case, reviewer, reason):
    people = [registered() for _ in range(2)]
    references = [s.reference for s in people]
    first, sent = ask_many(reviewer, references, [reason])
    again, sent_again = ask_many(reviewer, references, [reason])
    assert (sent, sent_again) == (True, False) and again == first
    assert Message.objects.filter(kind=Message.Kind.INFO_REQUEST).count() == 2
    assert InfoRequest.objects.count() == 2
    third, sent = ask_many(reviewer, references, [reason], token="token-2")  # a new form
    assert sent and third.changed == ()  # both already wait for their answer
    assert third.refused == {"awaiting_answer": tuple(sorted(references))}
    assert Message.objects.filter(kind=Message.Kind.INFO_REQUEST).count() == 2


def test_a_bulk_request_queues_its_emails_in_its_own_transaction(case, reviewer, reason):
    people = [registered() for _ in range(2)]
    with pytest.raises(RuntimeError), transaction.atomic():
        ask_many(reviewer, [s.reference for s in people], [reason])
        assert DBTaskResult.objects.filter(
            task_path="caseapp.services.email.outbox.deliver_message").count() == 2
        raise RuntimeError("rolled back")
    assert not Message.objects.exists() and not DBTaskResult.objects.exists()
    assert set(Submission.objects.values_list("review_status", flat=True)) == {"new"}


def test_a_bulk_request_needs_a_reason_and_is_bounded(case, reviewer, reason):
    with pytest.raises(ValidationError) as error:
        ask_many(reviewer, [registered().reference], [])
    assert error.value.code == "reason_required"
    with pytest.raises(ValidationError) as error:
        ask_many(reviewer, [f"LI-{n:04d}-2222" for n in range(101)], [reason])
    assert error.value.code == "too_many"


def test_every_submission_needing_information_has_its_request(case, reviewer, reason):
    """Whatever path set it (one request, many, an answer and a new request)."""
    one, many = registered(), [registered() for _ in range(3)]
    ask(one, reviewer, reason)
    ask_many(reviewer, [s.reference for s in many], [reason])
    info_request_answer(submission=many[0], answer="Sent it.")
    waiting = Submission.objects.filter(review_status=review_rules.NEEDS_INFO)
    assert waiting.count() == 3
    assert not waiting.exclude(info_requests__answered_at__isnull=True).exists()
