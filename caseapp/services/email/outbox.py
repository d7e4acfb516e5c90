"""The outbox: one row per message, enqueued in the caller's transaction, claimed under a
lease, delivered, retried with backoff, or left ``unknown`` when the server may have it.

The delivery task lives here, beside what it runs and what re-enqueues it (a retry), so
nothing imports the task module from below (pretix's mail service has the same shape)."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from caseapp.models import Message, Submission
from caseapp.services.access_codes import access_code_issue
from caseapp.services.email.compose import message_email
from caseapp.services.email.failures import SMTP_ERRORS, Failure, Outcome, failure_classify

logger = logging.getLogger(__name__)


def message_enqueue(
    *, submission: Submission, kind: str, actor=None, subject: str = "", body: str = "",
    to_address: str = "",
) -> Message:
    """Record one message and enqueue its delivery, in the caller's transaction: a change
    that rolls back sends nothing, and one that commits cannot lose its message.
    ``to_address``: only for a message to another address than the registration's (the
    notice of an address change goes to the old one)."""
    # No savepoint: no caller recovers from a failure here without rolling back its own
    # change, and the two round trips a savepoint costs were a fifth of what enqueuing adds
    # to a registration (``make bench``, part "register").
    with transaction.atomic(savepoint=False):
        message = Message.objects.create(
            submission=submission, kind=kind, language=submission.language, actor=actor,
            subject=subject, body=body, to_address=to_address,
        )
        deliver_message.enqueue(message.pk)
    return message


def message_requeue(*, message: Message, reply: str) -> None:
    """Queue an existing row again now (a staff resend of a case update keeps its row and
    its Message-ID)."""
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.QUEUED, next_attempt_at=timezone.now(), lease_until=None,
        last_reply=reply)
    deliver_message.enqueue(message.pk)


def lease_end() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(seconds=settings.CASEAPP_EMAIL_LEASE_SECONDS)


def retry_delay(attempts: int) -> datetime.timedelta:
    """Doubling waits: 1, 2, 4, 8 × CASEAPP_EMAIL_RETRY_SECONDS after tries 1, 2, 3, 4."""
    return datetime.timedelta(seconds=settings.CASEAPP_EMAIL_RETRY_SECONDS * 2 ** (attempts - 1))


def message_mark(message_id: int, status: str, reply: str, **extra) -> int:
    """Record what is now known of a claimed row. A lapsed lease may have been marked
    ``unknown`` meanwhile: what we now know wins."""
    return Message.objects.filter(
        pk=message_id, status__in=[Message.Status.SENDING, Message.Status.UNKNOWN],
    ).update(status=status, last_reply=reply[:500], lease_until=None,
             sent_at=timezone.now() if status == Message.Status.SENT else None, **extra)


def messages_back_to_queue(ids: list[int], reply: str, *, delay: datetime.timedelta) -> int:
    """Claimed rows that never reached the server go back, due after ``delay``."""
    if not ids:
        return 0
    return Message.objects.filter(pk__in=ids, status=Message.Status.SENDING).update(
        status=Message.Status.QUEUED, batch="", lease_until=None, last_reply=reply[:500],
        next_attempt_at=timezone.now() + delay)


def message_settle(message: Message, failure: Failure) -> str:
    """Apply the one policy for a failed try of a claimed row (failures.py); the new status.
    Retrying past CASEAPP_EMAIL_MAX_ATTEMPTS fails the row."""
    if failure.outcome is Outcome.UNKNOWN:
        message_mark(message.pk, Message.Status.UNKNOWN, failure.reply)
        return Message.Status.UNKNOWN
    if failure.outcome is Outcome.FAILED or message.attempts >= settings.CASEAPP_EMAIL_MAX_ATTEMPTS:
        message_mark(message.pk, Message.Status.FAILED, failure.reply)
        logger.warning("message %s failed after %s tries", message.pk, message.attempts)
        return Message.Status.FAILED
    messages_back_to_queue([message.pk], failure.reply, delay=retry_delay(message.attempts))
    return Message.Status.QUEUED


def message_deliver(*, message_id: int, connection=None) -> str:
    """Claim the message, send it, and record what the server said; returns the new status.

    The claim is a status-guarded UPDATE, committed before the server is contacted: two
    workers handed the same id (a recovery re-enqueue) send it once.
    """
    claimed = Message.objects.filter(pk=message_id, status=Message.Status.QUEUED).update(
        status=Message.Status.SENDING, attempts=F("attempts") + 1, lease_until=lease_end())
    if not claimed:
        return "not queued"
    message = Message.objects.select_related("submission__case", "update").get(pk=message_id)
    if not message.submission.email:
        # Erased (withdrawn or past retention) between queueing and sending.
        message_mark(message.pk, Message.Status.FAILED,
                     "not sent: the registration has no address")
        return Message.Status.FAILED
    extra = {}
    if message.kind == Message.Kind.ACCESS_CODE:
        extra = {"code": access_code_issue(message=message),
                 "valid_minutes": round(settings.CASEAPP_MANAGE_CODE_MINUTES)}
    email = message_email(message=message, extra=extra)
    smtp = connection or get_connection()
    try:
        smtp.open()
    except SMTP_ERRORS as exc:
        return _settle(message, failure_classify(exc, connected=False))
    try:
        sent = smtp.send_messages([email])
    except SMTP_ERRORS as exc:
        return _settle(message, failure_classify(exc, connected=True))
    finally:
        if connection is None:
            smtp.close()
    if not sent:
        return _settle(message, Failure(Outcome.RETRY,
                                        "the mail backend did not accept the message"))
    message_mark(message.pk, Message.Status.SENT, getattr(email, "smtp_reply", "accepted"))
    return Message.Status.SENT


@transaction.atomic
def _settle(message: Message, failure: Failure) -> str:
    status = message_settle(message, failure)
    if status == Message.Status.QUEUED:
        due = Message.objects.values_list("next_attempt_at", flat=True).get(pk=message.pk)
        deliver_message.using(run_after=due).enqueue(message.pk)
    return status


@task()
def deliver_message(message_id: int) -> str:
    """Send one queued message (and schedule its retry if the server refuses it for now)."""
    return message_deliver(message_id=message_id)
