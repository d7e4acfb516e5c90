"""Email delivery through the task queue, against a real SMTP server on loopback."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caseapp.models import Message
from caseapp.services import email as messaging
from caseapp.services.email import outbox
from caseapp.services.email.compose import message_id_header
from tests.factories import make_submission
from tests.smtp import run_worker, tasks_due_now

pytestmark = pytest.mark.django_db


def registered(**kwargs):
    """A submission whose confirmation email is already out of the way."""
    submission = make_submission(**kwargs)
    Message.objects.filter(submission=submission).delete()
    DBTaskResult.objects.all().delete()
    return submission


def staff_message(submission, **extra):
    return messaging.message_enqueue(
        submission=submission, kind=Message.Kind.STAFF,
        subject="About your registration", body="We need one more detail from you.", **extra)


def test_a_message_enqueued_in_a_rolled_back_transaction_leaves_nothing_to_send(case):
    submission = registered()
    tasks_before = DBTaskResult.objects.count()

    class Abandon(Exception):
        pass

    with pytest.raises(Abandon), transaction.atomic():
        staff_message(submission)
        raise Abandon

    assert not Message.objects.exists()
    assert DBTaskResult.objects.count() == tasks_before


def test_the_task_carries_the_message_id_and_no_personal_data(case):
    submission = registered(email="private.person@example.org", full_name="Priv Person")
    message = staff_message(submission)
    task = DBTaskResult.objects.get(task_path="caseapp.services.email.outbox.deliver_message")
    assert task.args_kwargs == {"args": [message.pk], "kwargs": {}}


def test_the_worker_sends_plain_text_and_html_and_records_the_servers_reply(case, smtp_server):
    case.firm_email = "intake@firm.example"
    case.save()
    submission = registered(email="reader@example.org")
    message = staff_message(submission)

    run_worker()

    [received] = smtp_server.to("reader@example.org")
    assert received.message["Subject"] == "About your registration"
    assert received.message["Reply-To"] == "intake@firm.example"
    assert "We need one more detail from you." in received.text
    assert "We need one more detail from you." in received.html
    assert submission.reference in received.text
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    assert message.last_reply.startswith("250 2.0.0 Ok: queued as TEST")


def test_a_temporary_refusal_is_retried_with_growing_waits_then_marked_failed(
        case, smtp_server, settings):
    settings.CASEAPP_EMAIL_MAX_ATTEMPTS = 3
    settings.CASEAPP_EMAIL_RETRY_SECONDS = 60
    submission = registered()
    message = staff_message(submission)
    smtp_server.refuse_next(3, "451 4.3.0 Mailbox busy")

    waits = []
    for _try in range(3):
        before = timezone.now()
        run_worker()
        message.refresh_from_db()
        retry = DBTaskResult.objects.filter(status="READY").first()
        if retry is not None:
            waits.append(round((retry.run_after - before).total_seconds() / 60))
        tasks_due_now()

    assert waits == [1, 2]
    assert message.status == Message.Status.FAILED
    assert message.attempts == 3
    assert message.last_reply == "451 4.3.0 Mailbox busy"
    assert not smtp_server.messages
    submission.refresh_from_db()
    assert submission.email  # the registration is untouched


def test_a_message_refused_for_now_is_sent_on_the_next_try(case, smtp_server):
    message = staff_message(registered(email="later@example.org"))
    smtp_server.refuse_next(1)
    run_worker()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Message.Status.QUEUED, 1)
    assert message.last_reply.startswith("451")

    tasks_due_now()
    run_worker()

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Message.Status.SENT, 2)
    assert len(smtp_server.to("later@example.org")) == 1


def test_a_permanent_refusal_fails_at_once(case, smtp_server):
    message = staff_message(registered())
    smtp_server.refuse_next(1, "550 5.1.1 No such mailbox")
    run_worker()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Message.Status.FAILED, 1)
    assert message.last_reply == "550 5.1.1 No such mailbox"
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_an_unreachable_server_is_retried(case, settings):
    from tests.smtp import free_port

    settings.EMAIL_BACKEND = "caseapp.email_backend.ReplyRecordingSMTPBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    message = staff_message(registered())
    run_worker()
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    assert "ConnectionRefusedError" in message.last_reply


def test_a_message_is_sent_once_however_often_its_task_runs(case, smtp_server):
    message = staff_message(registered(email="once@example.org"))
    outbox.deliver_message.enqueue(message.pk)  # as a recovery re-enqueue would
    run_worker()
    assert len(smtp_server.to("once@example.org")) == 1
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2


def test_a_message_to_an_erased_registration_is_not_sent(case, smtp_server):
    from caseapp.models import Submission

    submission = registered()
    message = staff_message(submission)
    Submission.objects.filter(pk=submission.pk).update(email="")
    run_worker()
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert not smtp_server.messages


def test_recovery_marks_a_lapsed_send_unknown_and_never_resends_it(case, smtp_server):
    message = staff_message(registered(email="ghost@example.org"))
    DBTaskResult.objects.all().delete()  # the worker that took it was killed
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENDING, attempts=1,
        lease_until=timezone.now() - datetime.timedelta(seconds=1))

    assert messaging.messages_recover() == {"unknown": 1, "requeued": 0, "update_lanes": 0}
    run_worker()

    message.refresh_from_db()
    assert message.status == Message.Status.UNKNOWN
    assert not smtp_server.messages


def test_recovery_re_enqueues_a_message_whose_task_died_before_claiming_it(
        case, smtp_server, settings):
    message = staff_message(registered(email="orphan@example.org"))
    DBTaskResult.objects.all().delete()
    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(
            seconds=settings.CASEAPP_EMAIL_LEASE_SECONDS + 1))

    assert messaging.messages_recover() == {"unknown": 0, "requeued": 1, "update_lanes": 0}
    assert messaging.messages_recover() == {"unknown": 0, "requeued": 0, "update_lanes": 0}
    run_worker()

    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert len(smtp_server.to("orphan@example.org")) == 1


def test_the_recovery_task_keeps_exactly_one_successor_waiting(case):
    assert messaging.recovery_schedule() is True
    assert messaging.recovery_schedule() is False
    tasks_due_now()
    run_worker()
    waiting = DBTaskResult.objects.filter(
        task_path="caseapp.services.email.recovery.recover_messages", status="READY")
    assert waiting.count() == 1
    assert waiting.get().run_after > timezone.now() + datetime.timedelta(minutes=4)


def test_queue_status_reports_tasks_messages_and_lateness(case):
    from io import StringIO

    from django.core.management import call_command

    staff_message(registered())
    DBTaskResult.objects.update(enqueued_at=timezone.now() - datetime.timedelta(seconds=90))
    out = StringIO()
    call_command("queue_status", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("tasks: ready 1, running 0")
    assert int(lines[1].split(":")[1].split()[0]) >= 90
    assert lines[2] == ("messages: queued 1, sending 0, sent 0, failed 0, unknown 0, "
                        "cancelled 0")


def test_recover_messages_command_settles_and_schedules(case):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("recover_messages", stdout=out)
    assert "recovery task scheduled" in out.getvalue()
    call_command("recover_messages", stdout=out)
    assert "recovery task already waiting" in out.getvalue()


# --- the confirmation email on registering ----------------------------------------------------

def test_registering_enqueues_the_confirmation_in_the_same_transaction(case):
    submission = make_submission()
    message = Message.objects.get(submission=submission)
    assert (message.kind, message.status, message.language) == ("confirmation", "queued", "en")
    assert DBTaskResult.objects.filter(task_path="caseapp.services.email.outbox.deliver_message",
                                       args_kwargs__args=[message.pk]).exists()


def test_a_rolled_back_registration_enqueues_nothing(case):
    from caseapp.models import Submission

    class Abandon(Exception):
        pass

    with pytest.raises(Abandon), transaction.atomic():
        make_submission()
        raise Abandon

    assert not Submission.objects.exists()
    assert not Message.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_the_confirmation_carries_reference_next_steps_contact_and_no_answers(case, smtp_server):
    case.firm_name, case.firm_email, case.firm_phone = "Firm LLP", "intake@firm.example", "555-0100"
    case.save()
    submission = make_submission(email="new.person@example.org", full_name="Nadia Example",
                                 phone="555-0199")
    run_worker()

    [received] = smtp_server.to("new.person@example.org")
    assert submission.reference in received.message["Subject"]
    for body in (received.text, received.html):
        assert submission.reference in body
        assert "What happens next" in body
        assert "intake@firm.example" in body and "555-0100" in body
        assert "intake@firm.example 555-0100" not in body  # the two are set apart
        assert "/email/confirm/" in body
        assert "Nadia" not in body and "555-0199" not in body
        assert "InMail" not in body  # none of the answers
    assert received.message["Reply-To"] == "intake@firm.example"
    assert received.message["Auto-Submitted"] == "auto-generated"


def test_the_confirmation_is_in_the_registrants_language(case, smtp_server):
    submission = make_submission(email="persona@example.org", language="es")
    run_worker()
    [received] = smtp_server.to("persona@example.org")
    assert received.message["Subject"] == f"Su registro: referencia {submission.reference}"
    assert "Qué pasa ahora" in received.text
    assert "Confirme su dirección de correo electrónico" in received.html


def test_a_message_id_is_stable_for_its_row_and_never_repeats_after_a_fresh_database(
        settings):
    settings.DEFAULT_FROM_EMAIL = "Firm <intake@firm.example>"
    now = timezone.now()
    row = Message(pk=7, created_at=now)
    first = message_id_header(message=row)
    assert first == message_id_header(message=Message(pk=7, created_at=now))
    assert first.startswith("<message-7.") and first.endswith("@firm.example>")
    # The same id in a database started afresh (or another firm's) is a new row: a mail
    # system that de-duplicates must not take it for a copy.
    later = Message(pk=7, created_at=now + datetime.timedelta(days=3))
    assert message_id_header(message=later) != first
    settings.BLIND_INDEX_KEY = "another deployment's key"
    assert message_id_header(message=row) != first
