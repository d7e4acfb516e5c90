"""The email package's own rules: one classification of SMTP failures for single messages
and update lanes, and lanes kept alive on our own rows."""

from __future__ import annotations

import datetime
import smtplib

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caseapp.models import CaseUpdate, DeliveryLane, Message
from caseapp.services import updates as case_updates
from caseapp.services.email import lanes, liveness, messages_recover
from caseapp.services.email.failures import Outcome, failure_classify
from caseapp.services.email.outbox import message_enqueue
from tests.factories import make_submission
from tests.smtp import run_worker

pytestmark = pytest.mark.django_db

LANE_TASK = "caseapp.services.email.lanes.send_update_batch"


@pytest.mark.parametrize(("exc", "connected", "outcome"), [
    (ConnectionRefusedError("refused"), False, Outcome.RETRY),
    (smtplib.SMTPConnectError(421, b"busy"), False, Outcome.RETRY),
    (smtplib.SMTPServerDisconnected("gone"), False, Outcome.RETRY),
    (smtplib.SMTPServerDisconnected("gone"), True, Outcome.UNKNOWN),
    (TimeoutError("timed out"), True, Outcome.UNKNOWN),
    (smtplib.SMTPDataError(451, b"try later"), True, Outcome.RETRY),
    (smtplib.SMTPDataError(554, b"rejected"), True, Outcome.FAILED),
    (smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"no such user")}), True,
     Outcome.FAILED),
    (smtplib.SMTPRecipientsRefused({"a@example.org": (452, b"mailbox full")}), True,
     Outcome.RETRY),
])
def test_each_smtp_failure_has_one_outcome(exc, connected, outcome):
    assert failure_classify(exc, connected=connected).outcome is outcome


def test_a_refusal_keeps_the_servers_reply():
    failure = failure_classify(smtplib.SMTPDataError(554, b"5.7.1 spam"), connected=True)
    assert failure.reply == "554 5.7.1 spam"


def registered(email: str):
    submission = make_submission(email=email)
    Message.objects.filter(submission=submission).delete()
    DBTaskResult.objects.all().delete()
    return submission


def test_a_single_message_whose_connection_drops_is_unknown_and_never_resent(
        case, smtp_server):
    message = message_enqueue(submission=registered("dropped@example.org"),
                              kind=Message.Kind.STAFF, subject="Hello", body="A line.")
    smtp_server.drop_after_taking_next(1)
    run_worker()
    messages_recover()
    run_worker()

    message.refresh_from_db()
    assert message.status == Message.Status.UNKNOWN
    assert len(smtp_server.to("dropped@example.org")) == 1


def test_an_update_whose_connection_drops_marks_that_row_unknown_and_sends_the_rest_once(
        case, smtp_server, settings):
    settings.CASEAPP_UPDATE_LANES = 1
    people = [registered(f"lane{n}@example.org") for n in range(3)]
    update = case_updates.update_send(case=case, actor=None, subject="News", body="Text.",
                                      subject_es="Noticias", body_es="Texto.", audience={})
    smtp_server.drop_after_taking_next(1)
    Message.objects.filter(update=update).update(next_attempt_at=timezone.now())
    for _ in range(4):
        run_worker()
        Message.objects.filter(update=update, status=Message.Status.QUEUED).update(
            next_attempt_at=timezone.now())
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())

    statuses = dict(Message.objects.filter(update=update)
                    .values_list("submission__reference", "status"))
    assert sorted(statuses.values()) == ["sent", "sent", "unknown"]
    for person in people:
        assert len(smtp_server.to(person.email)) == 1


def test_a_lane_restarted_after_its_worker_died_runs_once(case, settings):
    settings.CASEAPP_UPDATE_LANES = 1
    registered("one@example.org")
    update = case_updates.update_send(case=case, actor=None, subject="News", body="Text.",
                                      subject_es="Noticias", body_es="Texto.", audience={})
    lane = DeliveryLane.objects.get(key=f"update:{update.pk}:0")
    assert liveness.lane_alive(key=lane.key)
    assert lanes.lanes_resume(update=update, only_if_stalled=True) == 0

    # Its task was taken by a worker that died: past due by more than a lease, no beat.
    past = timezone.now() - datetime.timedelta(seconds=settings.CASEAPP_EMAIL_LEASE_SECONDS + 5)
    DeliveryLane.objects.filter(pk=lane.pk).update(due_at=past, beat_at=past)
    assert not liveness.lane_alive(key=lane.key)
    assert lanes.lanes_resume(update=update, only_if_stalled=True) == 1

    # The old generation's task, should it run after all, stops without sending.
    assert lanes.update_send_batch(update_id=update.pk, lane=0, generation=lane.generation) \
        == {"sent": 0, "superseded": True}
    assert DBTaskResult.objects.filter(task_path=LANE_TASK, status="READY").count() == 2


def test_a_finished_update_leaves_no_lanes(case, smtp_server):
    registered("done@example.org")
    update = case_updates.update_send(case=case, actor=None, subject="News", body="Text.",
                                      subject_es="Noticias", body_es="Texto.", audience={})
    run_worker()
    update.refresh_from_db()
    assert update.status == CaseUpdate.Status.DONE
    assert not DeliveryLane.objects.filter(key__startswith=f"update:{update.pk}:").exists()
