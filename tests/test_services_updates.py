"""Case updates to many: audience, one row per recipient, batched delivery on one connection
per batch, recovery after a killed worker (a real process killed), unsubscribe, languages."""

from __future__ import annotations

import datetime
import signal
import time
from collections import Counter

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caseapp.models import CaseUpdate, Message, Submission
from caseapp.selectors import messages as selectors_messages
from caseapp.services import email as messaging
from caseapp.services import updates as case_updates
from caseapp.services.email import lanes, outbox
from caseapp.services.email.compose import message_id_header
from tests.factories import NEEDS_REVIEW_ANSWERS, make_submission
from tests.smtp import SMTPServer, run_worker, tasks_due_now, worker_process
from tests.staff_users import make_staff

TEXTS = {"subject": "The case was refiled", "body": "The case was filed again today.",
         "subject_es": "El caso se volvió a presentar", "body_es": "Hoy se presentó de nuevo."}


def registrants(count: int, **kwargs) -> list[Submission]:
    """Submissions whose confirmation emails are out of the way."""
    made = [make_submission(email=f"r{n}.{time.monotonic_ns()}@example.org", **kwargs)
            for n in range(count)]
    Message.objects.all().delete()
    DBTaskResult.objects.all().delete()
    return made


def send(case, audience=None, **texts) -> CaseUpdate:
    supervisor = make_staff(f"sup{time.monotonic_ns()}", "Supervisor")
    return case_updates.update_send(case=case, actor=supervisor, audience=audience or {},
                                    **{**TEXTS, **texts})


@pytest.mark.django_db
def test_sending_makes_one_row_per_recipient_of_the_chosen_audience(case, settings):
    settings.CASEAPP_UPDATE_LANES = 2
    eligible = registrants(3)
    needs_review = registrants(2, answers=NEEDS_REVIEW_ANSWERS)
    gone, unsubscribed = registrants(2)
    Submission.objects.filter(pk=gone.pk).update(personal_data_erased_at=timezone.now(),
                                                  email="")
    Submission.objects.filter(pk=unsubscribed.pk).update(updates_unsubscribed_at=timezone.now())

    update = send(case, {"outcome": "eligible"})

    assert update.recipients == 3
    rows = Message.objects.filter(update=update)
    assert {m.submission_id for m in rows} == {s.pk for s in eligible}
    assert {m.status for m in rows} == {"queued"}
    assert not rows.filter(submission__in=needs_review).exists()
    assert DBTaskResult.objects.filter(
        task_path="caseapp.services.email.lanes.send_update_batch").count() == 2
    assert update.audience == {"outcome": "eligible"}


@pytest.mark.django_db
def test_a_rolled_back_update_leaves_no_rows_and_no_tasks(case):
    registrants(2)

    class Abandon(Exception):
        pass

    with pytest.raises(Abandon), transaction.atomic():
        send(case)
        raise Abandon
    assert not CaseUpdate.objects.exists() and not Message.objects.exists()
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_every_recipient_gets_it_once_in_their_language_one_connection_per_batch(
        case, smtp_server, settings):
    settings.CASEAPP_UPDATE_BATCH = 3
    settings.CASEAPP_UPDATE_LANES = 1
    english = registrants(4)
    spanish = registrants(3, language="es")
    update = send(case)

    run_worker()

    assert Counter(r.envelope_to[0] for r in smtp_server.messages) == Counter(
        {s.email: 1 for s in english + spanish})
    for submission in english:
        [received] = smtp_server.to(submission.email)
        assert received.message["Subject"] == "The case was refiled"
        assert submission.reference in received.text
        assert "The case was filed again today." in received.html
    for submission in spanish:
        [received] = smtp_server.to(submission.email)
        assert received.message["Subject"] == "El caso se volvió a presentar"
        assert "Hoy se presentó de nuevo." in received.text
        assert "Su referencia:" in received.text
    # 7 recipients in batches of 3: three connections.
    assert len({r.connection for r in smtp_server.messages}) == 3
    update.refresh_from_db()
    assert update.status == "done" and update.finished_at
    assert selectors_messages.update_progress(update=update)["sent"] == 7


@pytest.mark.django_db
def test_each_update_email_carries_rfc_8058_one_click_unsubscribe(case, smtp_server, client):
    [submission] = registrants(1)
    send(case)
    run_worker()
    [received] = smtp_server.messages
    assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = received.message["List-Unsubscribe"].strip().strip("<>")
    assert link in received.text
    path = link.split("testserver", 1)[-1] if "testserver" in link else link.split(":8000")[-1]

    # What a mail client does: POST the form body, no cookie, no CSRF token.
    response = client.post(path, "List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    submission.refresh_from_db()
    assert submission.updates_unsubscribed_at is not None


@pytest.mark.django_db
def test_unsubscribed_people_get_no_more_updates_but_still_their_own_messages(
        case, smtp_server, client):
    [stays, leaves] = registrants(2)
    first = send(case)
    path = messaging.unsubscribe_url(submission=leaves).split("127.0.0.1:8000")[-1]
    assert b"Unsubscribe" in client.get(path).content  # a link scanner's GET changes nothing
    leaves.refresh_from_db()
    assert leaves.updates_unsubscribed_at is None
    client.post(path)
    # Opening the link again says it is done, and asks nothing more.
    again = client.get(path).content.decode()
    assert "You are unsubscribed from case updates" in again and "<form" not in again.split(
        "<main", 1)[-1]
    # The first update's row for them is cancelled before any worker ran.
    assert Message.objects.get(update=first, submission=leaves).status == "cancelled"
    second = send(case)
    assert second.recipients == 1
    messaging.message_enqueue(submission=leaves, kind=Message.Kind.STAFF,
                              subject="About your registration", body="A question.")
    run_worker()
    assert [m.message["Subject"] for m in smtp_server.to(leaves.email)] == [
        "About your registration"]
    assert len(smtp_server.to(stays.email)) == 2


@pytest.mark.django_db
def test_a_forged_unsubscribe_link_changes_nothing(client, case):
    from django.core import signing

    [submission] = registrants(1)
    forged = signing.Signer(salt="another-salt").sign(str(submission.pk))
    assert client.post(f"/unsubscribe/{forged}/").status_code == 404
    submission.refresh_from_db()
    assert submission.updates_unsubscribed_at is None


@pytest.mark.django_db
def test_a_temporary_refusal_is_retried_and_the_recipient_gets_it_once(case, smtp_server,
                                                                        settings):
    settings.CASEAPP_UPDATE_LANES = 1
    [a, b] = registrants(2)
    smtp_server.refuse_next(1, "451 4.3.0 Busy")
    update = send(case)
    run_worker()
    assert Message.objects.get(update=update, submission=a).status == "queued"
    tasks_due_now()
    Message.objects.filter(update=update).update(next_attempt_at=timezone.now())
    run_worker()
    assert len(smtp_server.to(a.email)) == 1 and len(smtp_server.to(b.email)) == 1
    update.refresh_from_db()
    assert update.status == "done"


@pytest.mark.django_db
def test_a_lapsed_batch_resends_nothing_that_may_have_gone(case, smtp_server, settings):
    settings.CASEAPP_UPDATE_LANES = 1
    people = registrants(5)
    update = send(case)
    ids = lanes.batch_claim(update_id=update.pk, batch="deadlane", size=5)
    # The dead lane had sent the first two and was sending the third when it was killed.
    for message_id in ids[:2]:
        outbox.message_mark(message_id, Message.Status.SENT, "250 ok")
    Message.objects.filter(pk__in=ids).update(lease_until=timezone.now())

    assert lanes.update_recover(update=update) == {"unknown": 1, "requeued": 2,
                                                          "batches": 1}
    run_worker()

    statuses = dict(Message.objects.filter(update=update).values_list("id", "status"))
    assert [statuses[i] for i in ids] == ["sent", "sent", "unknown", "sent", "sent"]
    # The unknown one is not sent again; the never-started ones are sent once.
    assert Counter(r.envelope_to[0] for r in smtp_server.messages) == Counter(
        {people[3].email: 1, people[4].email: 1})
    update.refresh_from_db()
    assert update.status == "done"


@pytest.mark.django_db
def test_cancelling_stops_the_rows_not_yet_sent(case, smtp_server):
    registrants(3)
    update = send(case)
    supervisor = make_staff("canceller", "Supervisor")
    assert case_updates.update_cancel(update=update, actor=supervisor) == 3
    run_worker()
    assert not smtp_server.messages
    update.refresh_from_db()
    assert update.status == "cancelled"


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_process_sends_nobody_the_update_twice(case, settings):
    """Two real worker processes; one is killed with SIGKILL mid-send, twice. Every
    recipient gets the update at most once; each is sent or, at most one per kill, unknown."""
    from django.db import connection

    if connection.vendor != "postgresql":
        # Several workers share a queue on PostgreSQL (docs/deploy.md). On SQLite a process
        # killed mid-write left the test database locked ("disk I/O error") for the next test
        # in full runs; .ci/run runs this test on PostgreSQL, where it passes.
        pytest.skip("several killed workers on one queue are a PostgreSQL deployment")
    server = SMTPServer().start()
    try:
        people = registrants(60)
        settings.CASEAPP_UPDATE_LANES = 2
        update = send(case)
        env = {"CASEAPP_UPDATE_BATCH": "10", "CASEAPP_UPDATE_LANES": "2",
               "CASEAPP_UPDATE_RATE": "40", "CASEAPP_EMAIL_LEASE_SECONDS": "2",
               "CASEAPP_RECOVER_SECONDS": "1"}
        steady = worker_process(smtp_port=server.port, extra_env=env)
        victim = worker_process(smtp_port=server.port, extra_env=env)
        kills = 0
        try:
            for threshold in (10, 25):
                deadline = time.monotonic() + 60
                while len(server.mailbox.messages) < threshold and time.monotonic() < deadline:
                    time.sleep(0.05)
                victim.send_signal(signal.SIGKILL)
                victim.wait(timeout=10)
                kills += 1
                victim = worker_process(smtp_port=server.port, extra_env=env)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                update.refresh_from_db()
                if update.status == "done":
                    break
                time.sleep(0.2)
        finally:
            for process in (steady, victim):
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=20)
        update.refresh_from_db()
        assert update.status == "done", selectors_messages.update_progress(update=update)
        received = Counter(r.envelope_to[0] for r in server.mailbox.messages)
        assert max(received.values()) == 1  # nobody twice
        statuses = dict(Message.objects.filter(update=update)
                        .values_list("submission__email", "status"))
        assert set(statuses.values()) <= {"sent", "unknown"}
        unknown = [email for email, status in statuses.items() if status == "unknown"]
        assert len(unknown) <= kills
        # Every row marked sent was received; nothing else is missing.
        for person in people:
            if statuses[person.email] == "sent":
                assert received[person.email] == 1, person.email
        # The kills did interrupt lanes: their batches were taken over by others.
        assert Message.objects.filter(update=update).exclude(batch="").values(
            "batch").distinct().count() > 60 // 10
        print(f"kills {kills}, unknown {len(unknown)}, received {sum(received.values())}")
    finally:
        server.stop()


@pytest.mark.django_db
def test_each_row_has_its_own_stable_message_id(case, smtp_server):
    [a, b] = registrants(2)
    update = send(case)
    run_worker()
    ids = {r.envelope_to[0]: r.message["Message-ID"] for r in smtp_server.messages}
    for person in (a, b):
        row = Message.objects.get(update=update, submission=person)
        assert ids[person.email] == message_id_header(message=row)
        assert ids[person.email].startswith(f"<message-{row.pk}.")
        assert ids[person.email].endswith("@firm.example>")
    assert len(set(ids.values())) == 2


@pytest.mark.django_db
def test_a_slow_lane_whose_current_row_is_renewed_is_not_recovered(case):
    registrants(3)
    update = send(case)
    ids = lanes.batch_claim(update_id=update.pk, batch="slowlane", size=3)
    past = timezone.now() - datetime.timedelta(seconds=1)
    Message.objects.filter(pk__in=ids).update(lease_until=past)
    # The lane renewed the row it is sending now: the batch is alive.
    assert lanes.row_hold(Message.objects.get(pk=ids[0]))
    assert lanes.update_recover(update=update)["batches"] == 0
    assert set(Message.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        "sending"}
    # Taken back once it all lapses, the stalled lane may not send the rest.
    Message.objects.filter(pk__in=ids).update(lease_until=past)
    assert lanes.update_recover(update=update) == {"unknown": 1, "requeued": 2,
                                                          "batches": 1}
    assert not lanes.row_hold(Message.objects.get(pk=ids[1]))
