"""Case updates to many registrants: choose the audience and make one message row per
recipient, in one statement and one transaction with the update and its first delivery lanes
(the email package delivers them: services/email/lanes.py)."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from caseapp.models import Case, CaseUpdate, Message, Submission
from caseapp.selectors.queue import submission_queue
from caseapp.services.audit import audit_record
from caseapp.services.email import lanes_resume, lanes_start

#: The queue filters a supervisor may choose an audience by (no free-text search: it could
#: hold an address, and the audience is stored with the update).
AUDIENCE_FILTERS = ("outcome", "review_status", "state", "email_confirmed", "duplicate",
                    "received_from", "received_to")


def update_audience(*, audience: Mapping[str, object], case: Case, user) -> object:
    """The submissions an update with this audience goes to: the queue's filters, less anyone
    erased, unsubscribed or without an address."""
    filters = {key: audience[key] for key in AUDIENCE_FILTERS if audience.get(key)}
    return submission_queue(filters=filters, user=user, case=case).filter(
        personal_data_erased_at__isnull=True, updates_unsubscribed_at__isnull=True,
    ).exclude(email="")


def _audience_json(audience: Mapping[str, object]) -> dict:
    return {key: str(audience[key]) for key in AUDIENCE_FILTERS if audience.get(key)}


@transaction.atomic
def update_send(
    *, case: Case, actor, subject: str, body: str, subject_es: str, body_es: str,
    audience: Mapping[str, object], request: HttpRequest | None = None,
) -> CaseUpdate:
    """Record the update, one queued message per recipient, and the first delivery lanes."""
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
    lanes_start(update=update)
    audit_record(actor=actor, action="case_update.send", target=f"update {update.pk}",
                 details={"recipients": update.recipients, "audience": update.audience},
                 request=request)
    return update


def update_resume(*, update: CaseUpdate) -> int:
    """A supervisor starts the update's lanes again; how many were started."""
    return lanes_resume(update=update)


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
