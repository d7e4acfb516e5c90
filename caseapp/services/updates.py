"""Case updates to many registrants: choose the audience, make one message row per
recipient, and deliver them in batches from the task queue, resumably and never twice.

How a send is made safe (docs/decisions.md, "Case updates"):

- Sending makes one ``Message`` per recipient in one statement, unique per (update,
  submission), in the same transaction as the update and its first delivery tasks.
- A delivery task ("lane") claims the next batch of queued rows with one UPDATE (``FOR UPDATE
  SKIP LOCKED`` on PostgreSQL, so lanes on several workers never take the same row), opens one
  SMTP connection, sends the batch in id order marking each row sent as soon as the server
  accepts it, then enqueues its own successor. ``CASEAPP_UPDATE_LANES`` lanes run at once.
- A worker killed mid-batch leaves rows ``sending`` under a lapsed lease. Of those, only the
  first in id order can have reached the server: it becomes ``unknown`` (never resent by
  itself); the rest were never handed to the server and go back to ``queued``.
"""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Mapping

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import Max, Min, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from caseapp import tasks
from caseapp.models import Case, CaseUpdate, Message, Submission
from caseapp.selectors.queue import submission_queue
from caseapp.services import messages as messaging
from caseapp.services.audit import audit_record
from caseapp.services.submits import CASE_UPDATE, submit_once

#: The queue filters a supervisor may choose an audience by, under the queue's names (no
#: free-text search: it could hold an address, and the audience is stored with the update;
#: no assignee: "me" would mean whoever reads the update later).
AUDIENCE_FILTERS = ("outcome", "review_status", "state", "country", "email_confirmed",
                    "duplicate", "time_limit", "rules_version", "received_from", "received_to")
#: The audience's one choice the queue has not: marked duplicates are left out unless asked.
INCLUDE_DUPLICATES = "include_duplicates"


def update_audience(*, audience: Mapping[str, object], case: Case, user) -> QuerySet:
    """The submissions an update with this audience goes to: the queue's filters, less anyone
    withdrawn or erased (no address left), unsubscribed, or marked as a duplicate of another
    registration (unless ``include_duplicates``); then one submission per address (the
    earliest), so a person who registered three times reads the update once."""
    filters = {key: audience[key] for key in AUDIENCE_FILTERS if audience.get(key)}
    chosen = submission_queue(filters=filters, user=user, case=case).filter(
        personal_data_erased_at__isnull=True, updates_unsubscribed_at__isnull=True,
    ).exclude(email="").exclude(email_index="")
    if not audience.get(INCLUDE_DUPLICATES):
        chosen = chosen.filter(duplicate_of__isnull=True)
    # The blind index is the address, normalised: equal addresses have equal indexes.
    earliest = chosen.order_by().values("email_index").annotate(first=Min("id")).values("first")
    return Submission.objects.filter(id__in=earliest)


def _audience_json(audience: Mapping[str, object]) -> dict:
    return {key: str(audience[key]) for key in (*AUDIENCE_FILTERS, INCLUDE_DUPLICATES)
            if audience.get(key)}


@transaction.atomic
def update_send(
    *, case: Case, actor, subject: str, body: str, subject_es: str, body_es: str,
    audience: Mapping[str, object], request: HttpRequest | None = None,
    submit_token: str = "",
) -> CaseUpdate:
    """Record the update, one queued message per recipient, and the first delivery lanes.
    With the form's ``submit_token``, once: a second send of the same form (or three at once)
    returns the update the first made, and nobody is written to twice."""
    texts = {"subject": subject, "body": body, "subject_es": subject_es, "body_es": body_es}
    if not submit_token:
        return _update_create(case=case, actor=actor, audience=audience, request=request,
                              **texts)
    update_id, _made = submit_once(
        action=CASE_UPDATE, key=submit_token,
        perform=lambda: _update_create(case=case, actor=actor, audience=audience,
                                       request=request, **texts).pk)
    return CaseUpdate.objects.get(pk=update_id)


def _update_create(*, case: Case, actor, subject: str, body: str, subject_es: str,
                   body_es: str, audience: Mapping[str, object],
                   request: HttpRequest | None) -> CaseUpdate:
    update = CaseUpdate.objects.create(
        subject=subject.strip(), body=body.strip(), subject_es=subject_es.strip(),
        body_es=body_es.strip(), audience=_audience_json(audience), created_by=actor)
    recipients = update_audience(audience=audience, case=case, user=actor)
    ids_sql, ids_params = recipients.values("id").query.sql_with_params()
    now = timezone.now()
    table = connection.ops.quote_name(Message._meta.db_table)
    submissions = connection.ops.quote_name(Submission._meta.db_table)
    with connection.cursor() as cursor:
        # One statement however large the audience: no row passes through Python. Only
        # quoted table names and Django's own compiled subquery are interpolated; every
        # value is a parameter. ORDER BY: the messages are numbered in registration order, so
        # batches (claimed by id) go out in that order on both databases.
        cursor.execute(
            f"INSERT INTO {table} (kind, submission_id, update_id, language, status, attempts, "  # noqa: S608
            f"last_reply, subject, body, created_at, next_attempt_at, batch) "
            f"SELECT %s, s.id, %s, s.language, %s, 0, '', '', '', %s, %s, '' "
            f"FROM {submissions} s WHERE s.id IN ({ids_sql}) ORDER BY s.id",
            [Message.Kind.UPDATE, update.pk, Message.Status.QUEUED, now, now, *ids_params],
        )
        update.recipients = cursor.rowcount
    update.save(update_fields=["recipients"])
    for _lane in range(settings.CASEAPP_UPDATE_LANES):
        tasks.send_update_batch.enqueue(update.pk)
    audit_record(actor=actor, action="case_update.send", target=f"update {update.pk}",
                 details={"recipients": update.recipients, "audience": update.audience},
                 request=request)
    return update


def _claim(*, update_id: int, batch: str, size: int) -> list[int]:
    """Take the next ``size`` queued, due rows of this update for one batch; their ids."""
    now = timezone.now()
    lease = now + datetime.timedelta(seconds=settings.CASEAPP_EMAIL_LEASE_SECONDS)
    table = connection.ops.quote_name(Message._meta.db_table)
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(  # table names only are interpolated; values are parameters
            f"UPDATE {table} SET status = %s, batch = %s, lease_until = %s, "  # noqa: S608
            f"attempts = attempts + 1 WHERE id IN (SELECT id FROM {table} WHERE update_id = %s "
            f"AND status = %s AND next_attempt_at <= %s ORDER BY id LIMIT %s{lock}) "
            f"RETURNING id",
            [Message.Status.SENDING, batch, lease, update_id, Message.Status.QUEUED, now, size],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _mark(message_id: int, status: str, reply: str, **extra) -> None:
    Message.objects.filter(pk=message_id).update(
        status=status, last_reply=reply[:500], lease_until=None,
        sent_at=timezone.now() if status == Message.Status.SENT else None, **extra)


def update_send_batch(*, update_id: int) -> dict:
    """One lane's turn: settle lapsed batches, claim a batch, send it on one connection,
    then hand over to the lane's successor (or finish the update)."""
    update = CaseUpdate.objects.filter(pk=update_id).first()
    if update is None or update.status != CaseUpdate.Status.SENDING:
        return {"sent": 0, "stopped": True}
    update_recover(update=update)
    # A lane whose worker died (with or without a batch in hand) is replaced here, so the
    # update keeps its lanes without waiting for the periodic recovery.
    update_resume(update=update, only_if_stalled=True)
    batch = uuid.uuid4().hex
    ids = _claim(update_id=update_id, batch=batch, size=settings.CASEAPP_UPDATE_BATCH)
    outcome = _deliver(update=update, ids=ids) if ids else {"sent": 0}
    rows = Message.objects.filter(update_id=update_id)
    due = rows.filter(status=Message.Status.QUEUED).aggregate(
        first=Min("next_attempt_at"))["first"]
    # When the batches in other lanes' hands would all have lapsed, were their lanes dead.
    lapse = rows.filter(status=Message.Status.SENDING).aggregate(
        last=Max("lease_until"))["last"]
    now = timezone.now()
    if due is None and lapse is None:
        _finish_if_done(update)
    elif ids or (due is not None and due <= now):
        tasks.send_update_batch.enqueue(update_id)
    else:
        # Nothing to claim yet: wake for the earliest retry, or when another lane's batch
        # lapses (that lane may be dead, and then this one takes its rows over).
        wake = min(when for when in (due, lapse) if when is not None)
        tasks.send_update_batch.using(run_after=max(wake, now)).enqueue(update_id)
    return outcome


def _deliver(*, update: CaseUpdate, ids: list[int]) -> dict:
    """Send one claimed batch in id order on one SMTP connection, at the throttled pace."""
    import smtplib

    rows = list(Message.objects.filter(pk__in=ids).select_related("submission__case", "update")
                .order_by("id"))
    per_lane = settings.CASEAPP_UPDATE_RATE / max(settings.CASEAPP_UPDATE_LANES, 1)
    gap = 1 / per_lane if per_lane > 0 else 0
    sent = failed = 0
    smtp = get_connection()
    try:
        smtp.open()
    except (smtplib.SMTPException, OSError) as exc:
        # Nothing of this batch reached the server: all of it goes back, to retry later.
        _requeue(ids, f"{type(exc).__name__}: {exc}", delay=messaging.retry_delay(1))
        return {"sent": 0, "connect_failed": True}
    try:
        templates = {}
        next_at = held_at = time.monotonic()
        lease = settings.CASEAPP_EMAIL_LEASE_SECONDS
        for position, message in enumerate(rows):
            submission = message.submission
            if (not submission.email or submission.personal_data_erased_at
                    or submission.updates_unsubscribed_at):
                _mark(message.pk, Message.Status.CANCELLED, "not sent: no longer a recipient")
                continue
            email = _update_email(message, templates)
            if gap:
                time.sleep(max(0.0, next_at - time.monotonic()))
                next_at = max(next_at, time.monotonic()) + gap
            if time.monotonic() - held_at > lease / 2:
                # Renew the lease before handing on a row of a batch this old, so that the batch
                # is not taken for a dead lane's. If it was taken back already (this lane stalled
                # past the lease), the lane that has it now sends it, and this one stops.
                if not _hold(message):
                    break
                held_at = time.monotonic()
            try:
                smtp.send_messages([email])
            except smtplib.SMTPResponseException as exc:
                # The server answered: it did not take this one. Retry a temporary refusal.
                reply, permanent = messaging._reply_of(exc)
                if permanent or message.attempts >= settings.CASEAPP_EMAIL_MAX_ATTEMPTS:
                    _mark(message.pk, Message.Status.FAILED, reply)
                    failed += 1
                else:
                    _requeue([message.pk], reply, delay=messaging.retry_delay(message.attempts))
            except smtplib.SMTPRecipientsRefused as exc:
                _mark(message.pk, Message.Status.FAILED, messaging._reply_of(exc)[0])
                failed += 1
            except (smtplib.SMTPException, OSError) as exc:
                # The connection broke mid-message: the server may have taken it.
                _mark(message.pk, Message.Status.UNKNOWN, f"{type(exc).__name__}: {exc}")
                _requeue([m.pk for m in rows[position + 1:]], "not sent: the connection broke",
                         delay=messaging.retry_delay(1))
                break
            else:
                _mark(message.pk, Message.Status.SENT, getattr(email, "smtp_reply", "accepted"))
                sent += 1
    finally:
        smtp.close()
    return {"sent": sent, "failed": failed}


def _hold(message: Message) -> bool:
    """Renew this row's lease just before it is handed to the server; False if the row is no
    longer this batch's (a stalled lane whose batch was recovered must not send it). Called
    only once half the lease has passed: until then nobody can have taken the batch back, and
    an UPDATE per message would be a third of a lane's database writes."""
    lease = timezone.now() + datetime.timedelta(seconds=settings.CASEAPP_EMAIL_LEASE_SECONDS)
    return bool(Message.objects.filter(
        pk=message.pk, batch=message.batch, status=Message.Status.SENDING,
    ).update(lease_until=lease))


def _update_email(message: Message, templates: dict):
    """The email for one recipient. The update's text is rendered once per language and
    batch, then given each recipient's reference and unsubscribe link: rendering two
    templates per recipient was most of a lane's time."""
    key = message.language
    if key not in templates:
        stub = Message(kind=Message.Kind.UPDATE, update=message.update, language=key,
                       submission=Submission(case=message.submission.case,
                                             reference="\x00REF\x00", language=key))
        templates[key] = messaging.message_compose(
            message=stub, extra={"unsubscribe_url": "\x00UNSUBSCRIBE\x00"})
    composed = templates[key]
    reference = message.submission.reference
    unsubscribe = messaging.unsubscribe_url(submission=message.submission)

    def fill(text: str) -> str:
        return text.replace("\x00REF\x00", reference).replace("\x00UNSUBSCRIBE\x00",
                                                               unsubscribe)

    filled = messaging.Composed(subject=fill(composed.subject), text=fill(composed.text),
                                html=fill(composed.html))
    headers = {"Auto-Submitted": "auto-generated", "Precedence": "bulk",
               "Message-ID": messaging.message_id_header(message=message),
               **messaging.unsubscribe_headers(submission=message.submission)}
    return messaging._email(filled, to=message.submission.email,
                            case=message.submission.case, headers=headers)


def _requeue(ids: list[int], reply: str, *, delay: datetime.timedelta) -> None:
    if ids:
        Message.objects.filter(pk__in=ids, status=Message.Status.SENDING).update(
            status=Message.Status.QUEUED, batch="", lease_until=None, last_reply=reply[:500],
            next_attempt_at=timezone.now() + delay)


def _finish_if_done(update: CaseUpdate) -> None:
    open_rows = Message.objects.filter(
        update=update, status__in=[Message.Status.QUEUED, Message.Status.SENDING])
    if not open_rows.exists():
        CaseUpdate.objects.filter(pk=update.pk, status=CaseUpdate.Status.SENDING).update(
            status=CaseUpdate.Status.DONE, finished_at=timezone.now())


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


def update_resume(*, update: CaseUpdate, only_if_stalled: bool = False) -> int:
    """Start lanes again for an update whose lanes died (or now, by a supervisor's hand);
    returns how many were enqueued. Extra lanes are harmless: they find nothing to claim."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    if update.status != CaseUpdate.Status.SENDING:
        return 0
    if not Message.objects.filter(update=update, status=Message.Status.QUEUED).exists():
        _finish_if_done(update)
        return 0
    missing = settings.CASEAPP_UPDATE_LANES
    if only_if_stalled:
        # Lanes alive: waiting, or running on a worker that reported within the lease (a
        # killed worker's task stays "running" in the task table for ever).
        lanes = DBTaskResult.objects.filter(task_path=tasks.send_update_batch.module_path,
                                            args_kwargs__args=[update.pk])
        alive = lanes.filter(status=TaskResultStatus.READY).count() + lanes.filter(
            status=TaskResultStatus.RUNNING, started_at__gte=timezone.now() - datetime.timedelta(
                seconds=settings.CASEAPP_EMAIL_LEASE_SECONDS)).count()
        missing = max(0, settings.CASEAPP_UPDATE_LANES - alive)
    for _lane in range(missing):
        tasks.send_update_batch.enqueue(update.pk)
    return missing


@transaction.atomic
def update_cancel(*, update: CaseUpdate, actor, request: HttpRequest | None = None) -> int:
    """Stop an update: rows not yet sent are cancelled; returns how many."""
    cancelled = Message.objects.filter(update=update, status=Message.Status.QUEUED).update(
        status=Message.Status.CANCELLED, last_reply="not sent: the update was cancelled")
    CaseUpdate.objects.filter(pk=update.pk, status=CaseUpdate.Status.SENDING).update(
        status=CaseUpdate.Status.CANCELLED, finished_at=timezone.now())
    audit_record(actor=actor, action="case_update.cancel", target=f"update {update.pk}",
                 details={"cancelled": cancelled}, request=request)
    return cancelled
