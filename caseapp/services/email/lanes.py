"""Delivering a case update: ``CASEAPP_UPDATE_LANES`` lanes, each a chain of tasks that
claims a batch of the update's queued rows, sends it on one connection, and hands over to
its successor (docs/decisions.md, "Case updates").

- A lane claims a batch with one UPDATE (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so lanes
  on several workers never take the same row) and sends it in id order, marking each row
  sent as soon as the server accepts it.
- A worker killed mid-batch leaves rows ``sending`` under a lapsed lease. Of those, only the
  first in id order can have reached the server: it becomes ``unknown`` (never resent by
  itself); the rest were never handed to the server and go back to ``queued``.
- Whether a lane is alive is kept on its ``DeliveryLane`` row (liveness.py); a dead one is
  restarted with a new generation, and its old task, should it ever run, stops at once.
"""

from __future__ import annotations

import time
import uuid

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django_tasks import task

from caseapp.models import CaseUpdate, Message, Submission
from caseapp.services.email import liveness
from caseapp.services.email.compose import email_build, message_compose, message_headers
from caseapp.services.email.failures import SMTP_ERRORS, Outcome, failure_classify
from caseapp.services.email.links import unsubscribe_url
from caseapp.services.email.outbox import (
    lease_end,
    message_mark,
    message_settle,
    messages_back_to_queue,
    retry_delay,
)


def _key(update_id: int, lane: int) -> str:
    return f"update:{update_id}:{lane}"


def lanes_start(*, update: CaseUpdate, only_if_stalled: bool = False) -> int:
    """Start the update's lanes (all of them, or those found dead); how many were started.
    Called in the transaction that makes the rows, so they start only if it commits."""
    started = 0
    for lane in range(settings.CASEAPP_UPDATE_LANES):
        key = _key(update.pk, lane)
        if only_if_stalled and liveness.lane_alive(key=key):
            continue
        generation = liveness.lane_arm(key=key, due=timezone.now())
        send_update_batch.enqueue(update.pk, lane, generation)
        started += 1
    return started


def lanes_resume(*, update: CaseUpdate, only_if_stalled: bool = False) -> int:
    """Start lanes again for an update whose lanes died (or now, by a supervisor's hand);
    how many were started."""
    if update.status != CaseUpdate.Status.SENDING:
        return 0
    if not Message.objects.filter(update=update, status=Message.Status.QUEUED).exists():
        update_finish_if_done(update=update)
        return 0
    return lanes_start(update=update, only_if_stalled=only_if_stalled)


def update_finish_if_done(*, update: CaseUpdate) -> bool:
    """Mark the update done once no row is waiting or in a lane's hands."""
    if Message.objects.filter(
            update=update, status__in=[Message.Status.QUEUED, Message.Status.SENDING]).exists():
        return False
    CaseUpdate.objects.filter(pk=update.pk, status=CaseUpdate.Status.SENDING).update(
        status=CaseUpdate.Status.DONE, finished_at=timezone.now())
    liveness.lanes_end(prefix=f"update:{update.pk}:")
    return True


def batch_claim(*, update_id: int, batch: str, size: int) -> list[int]:
    """Take the next ``size`` queued, due rows of this update for one batch; their ids."""
    table = connection.ops.quote_name(Message._meta.db_table)
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(  # table names only are interpolated; values are parameters
            f"UPDATE {table} SET status = %s, batch = %s, lease_until = %s, "  # noqa: S608
            f"attempts = attempts + 1 WHERE id IN (SELECT id FROM {table} WHERE update_id = %s "
            f"AND status = %s AND next_attempt_at <= %s ORDER BY id LIMIT %s{lock}) "
            f"RETURNING id",
            [Message.Status.SENDING, batch, lease_end(), update_id, Message.Status.QUEUED,
             timezone.now(), size],
        )
        return sorted(row[0] for row in cursor.fetchall())


def update_send_batch(*, update_id: int, lane: int, generation: int) -> dict:
    """One lane's turn: settle lapsed batches, claim a batch, send it on one connection,
    then hand over to the lane's successor (or finish the update)."""
    key = _key(update_id, lane)
    update = CaseUpdate.objects.filter(pk=update_id).first()
    if update is None or update.status != CaseUpdate.Status.SENDING:
        return {"sent": 0, "stopped": True}
    if not liveness.lane_beat(key=key, generation=generation):
        return {"sent": 0, "superseded": True}
    update_recover(update=update)
    # A lane whose worker died (with or without a batch in hand) is replaced here, so the
    # update keeps its lanes without waiting for the periodic recovery.
    lanes_resume(update=update, only_if_stalled=True)
    ids = batch_claim(update_id=update_id, batch=uuid.uuid4().hex,
                      size=settings.CASEAPP_UPDATE_BATCH)
    outcome = _deliver(update=update, ids=ids, key=key, generation=generation) if ids \
        else {"sent": 0}
    rows = Message.objects.filter(update_id=update_id)
    due = rows.filter(status=Message.Status.QUEUED).aggregate(
        first=Min("next_attempt_at"))["first"]
    # When the batches in other lanes' hands would all have lapsed, were their lanes dead.
    lapse = rows.filter(status=Message.Status.SENDING).aggregate(
        last=Max("lease_until"))["last"]
    now = timezone.now()
    if due is None and lapse is None:
        update_finish_if_done(update=update)
        return outcome
    if ids or (due is not None and due <= now):
        wake = now
    else:
        # Nothing to claim yet: wake for the earliest retry, or when another lane's batch
        # lapses (that lane may be dead, and then this one takes its rows over).
        wake = max(min(when for when in (due, lapse) if when is not None), now)
    with transaction.atomic():
        if liveness.lane_wait(key=key, generation=generation, due=wake):
            send_update_batch.using(run_after=wake).enqueue(update_id, lane, generation)
    return outcome


def _deliver(*, update: CaseUpdate, ids: list[int], key: str, generation: int) -> dict:
    """Send one claimed batch in id order on one SMTP connection, at the throttled pace."""
    rows = list(Message.objects.filter(pk__in=ids).select_related("submission__case", "update")
                .order_by("id"))
    per_lane = settings.CASEAPP_UPDATE_RATE / max(settings.CASEAPP_UPDATE_LANES, 1)
    gap = 1 / per_lane if per_lane > 0 else 0
    sent = failed = 0
    smtp = get_connection()
    try:
        smtp.open()
    except SMTP_ERRORS as exc:
        # Nothing of this batch reached the server: all of it goes back, to retry later.
        messages_back_to_queue(ids, failure_classify(exc, connected=False).reply,
                               delay=retry_delay(1))
        return {"sent": 0, "connect_failed": True}
    try:
        templates = {}
        next_at = held_at = time.monotonic()
        lease = settings.CASEAPP_EMAIL_LEASE_SECONDS
        for position, message in enumerate(rows):
            submission = message.submission
            if (not submission.email or submission.personal_data_erased_at
                    or submission.updates_unsubscribed_at):
                message_mark(message.pk, Message.Status.CANCELLED,
                             "not sent: no longer a recipient")
                continue
            email = _update_email(message, templates)
            if gap:
                time.sleep(max(0.0, next_at - time.monotonic()))
                next_at = max(next_at, time.monotonic()) + gap
            if time.monotonic() - held_at > lease / 2:
                # Renew the lease before handing on a row of a batch this old, so that the batch
                # is not taken for a dead lane's. If it was taken back already (this lane stalled
                # past the lease), the lane that has it now sends it, and this one stops.
                if not row_hold(message) or not liveness.lane_beat(key=key, generation=generation):
                    break
                held_at = time.monotonic()
            try:
                smtp.send_messages([email])
            except SMTP_ERRORS as exc:
                failure = failure_classify(exc, connected=True)
                status = message_settle(message, failure)
                failed += status == Message.Status.FAILED
                if failure.outcome is Outcome.UNKNOWN:
                    # The connection broke: the rest of the batch never reached the server.
                    messages_back_to_queue([m.pk for m in rows[position + 1:]],
                                           "not sent: the connection broke",
                                           delay=retry_delay(1))
                    break
            else:
                message_mark(message.pk, Message.Status.SENT,
                             getattr(email, "smtp_reply", "accepted"))
                sent += 1
    finally:
        smtp.close()
    return {"sent": sent, "failed": failed}


def row_hold(message: Message) -> bool:
    """Renew this row's lease just before it is handed to the server; False if the row is no
    longer this batch's (a stalled lane whose batch was recovered must not send it). Called
    only once half the lease has passed: until then nobody can have taken the batch back, and
    an UPDATE per message would be a third of a lane's database writes."""
    return bool(Message.objects.filter(
        pk=message.pk, batch=message.batch, status=Message.Status.SENDING,
    ).update(lease_until=lease_end()))


def _update_email(message: Message, templates: dict):
    """The email for one recipient. The update's text is rendered once per language and
    batch, then given each recipient's reference and unsubscribe link: rendering two
    templates per recipient was most of a lane's time."""
    key = message.language
    if key not in templates:
        stub = Message(kind=Message.Kind.UPDATE, update=message.update, language=key,
                       submission=Submission(case=message.submission.case,
                                             reference="\x00REF\x00", language=key))
        templates[key] = message_compose(
            message=stub, extra={"unsubscribe_url": "\x00UNSUBSCRIBE\x00"})
    filled = templates[key].replace("\x00REF\x00", message.submission.reference).replace(
        "\x00UNSUBSCRIBE\x00", unsubscribe_url(submission=message.submission))
    return email_build(filled, to=message.submission.email, case=message.submission.case,
                       headers=message_headers(message=message))


def update_recover(*, update: CaseUpdate) -> dict:
    """Settle the batches of lanes that died (every row's lease lapsed; a live lane renews the
    lease of each row as it sends it): per batch, the first unmarked row may have reached the
    server (``unknown``); the rest never did (``queued`` again)."""
    lapsed = Message.objects.filter(update=update, status=Message.Status.SENDING,
                                    lease_until__lt=timezone.now())
    unknown = requeued = batches = 0
    for batch in set(lapsed.values_list("batch", flat=True)[:10_000]):
        if Message.objects.filter(update=update, status=Message.Status.SENDING, batch=batch,
                                  lease_until__gte=timezone.now()).exists():
            continue  # a row of it was renewed just now: its lane is alive, only slow
        batches += 1
        rows = lapsed.filter(batch=batch)
        first = rows.aggregate(first=Min("id"))["first"]
        if first is None:
            continue
        unknown += rows.filter(pk=first).update(
            status=Message.Status.UNKNOWN, lease_until=None,
            last_reply="the worker stopped before the server's reply was recorded")
        requeued += rows.exclude(pk=first).update(
            status=Message.Status.QUEUED, batch="", lease_until=None,
            last_reply="requeued: the worker stopped before sending it")
    return {"unknown": unknown, "requeued": requeued, "batches": batches}


@task()
def send_update_batch(update_id: int, lane: int, generation: int) -> dict:
    """One delivery lane's batch of a case update."""
    return update_send_batch(update_id=update_id, lane=lane, generation=generation)
