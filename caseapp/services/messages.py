"""Email to registrants: queue a message with the change that causes it, deliver it from a
worker, retry with backoff, and settle what a killed worker left behind.

Also the registrant's links in those emails: confirming the address, one-click unsubscribe.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from caseapp import crypto, tasks
from caseapp.models import CaseUpdate, Message, ReviewEvent, Submission
from caseapp.selectors.registrant import mask_email
from caseapp.services.audit import audit_record

logger = logging.getLogger(__name__)

CONFIRM_SALT = "caseapp.email-confirm"


def message_enqueue(
    *, submission: Submission, kind: str, actor=None, subject: str = "", body: str = "",
    to_address: str = "",
) -> Message:
    """Record one message and enqueue its delivery, in the caller's transaction: a change
    that rolls back sends nothing, and one that commits cannot lose its message."""
    # No savepoint: no caller recovers from a failure here without rolling back its own
    # change, and the two round trips a savepoint costs were a fifth of what enqueuing adds
    # to a registration (``make bench``, part "register").
    with transaction.atomic(savepoint=False):
        message = Message.objects.create(
            submission=submission, kind=kind, language=submission.language, actor=actor,
            subject=subject, body=body, to_address=to_address,
        )
        tasks.deliver_message.enqueue(message.pk)
    return message


class ConfirmResult:
    CONFIRMED = "confirmed"
    ALREADY = "already"
    INVALID = "invalid"


def submission_for_confirm_token(*, token: str) -> Submission | None:
    """The submission whose current, unerased address this genuine, in-date token names."""
    read = confirm_token_read(token)
    if read is None:
        return None
    submission_id, index_prefix = read
    submission = Submission.objects.filter(
        pk=submission_id, personal_data_erased_at__isnull=True).first()
    if submission is None or not submission.email_index \
            or submission.email_index[:12] != index_prefix:
        return None
    return submission


@transaction.atomic
def submission_email_confirm(*, token: str) -> str:
    """Mark the address confirmed once; a second use of the link changes nothing."""
    submission = submission_for_confirm_token(token=token)
    if submission is None:
        return ConfirmResult.INVALID
    confirmed = Submission.objects.filter(
        pk=submission.pk, email_index=submission.email_index, email_confirmed_at__isnull=True,
    ).update(email_confirmed_at=timezone.now())
    if not confirmed:
        return ConfirmResult.ALREADY
    ReviewEvent.objects.create(submission=submission, kind=ReviewEvent.Kind.EMAIL_CONFIRMED)
    audit_record(actor=None, action="submission.email_confirmed", target=submission.reference)
    return ConfirmResult.CONFIRMED


# --- delivery --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    html: str


def confirm_token(*, submission: Submission) -> str:
    """A signed link token for this submission's current address: it stops working when the
    address changes (the blind index is bound in) and after CASEAPP_CONFIRM_LINK_DAYS."""
    return signing.dumps([submission.pk, submission.email_index[:12]], salt=CONFIRM_SALT)


def confirm_token_read(token: str) -> tuple[int, str] | None:
    """``(submission id, index prefix)`` from a token that is genuine and in date, else None."""
    try:
        submission_id, index_prefix = signing.loads(
            token, salt=CONFIRM_SALT,
            max_age=datetime.timedelta(days=settings.CASEAPP_CONFIRM_LINK_DAYS),
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(submission_id, int) or not isinstance(index_prefix, str):
        return None
    return submission_id, index_prefix


def _site_url(path: str) -> str:
    return f"{settings.CASEAPP_SITE_URL}{path}"


UNSUBSCRIBE_SALT = "caseapp.unsubscribe"


def unsubscribe_url(*, submission: Submission) -> str:
    """The one-click unsubscribe link for case updates: signed, no expiry (a link in an old
    email must still work), naming only the submission's id."""
    from django.urls import reverse

    token = signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(submission.pk))
    return _site_url(reverse("public:unsubscribe", args=[token]))


def unsubscribe_headers(*, submission: Submission) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: a mail client POSTs ``List-Unsubscribe=One-Click``."""
    return {"List-Unsubscribe": f"<{unsubscribe_url(submission=submission)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def unsubscribe_token_read(token: str) -> int | None:
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


@transaction.atomic
def submission_unsubscribe(*, token: str) -> bool:
    """Stop case updates to this registrant (messages about their registration still go);
    returns whether the token named a registration. Idempotent."""
    submission_id = unsubscribe_token_read(token)
    if submission_id is None:
        return False
    submission = Submission.objects.filter(pk=submission_id).first()
    if submission is None:
        return False
    changed = Submission.objects.filter(
        pk=submission_id, updates_unsubscribed_at__isnull=True,
    ).update(updates_unsubscribed_at=timezone.now())
    if changed:
        ReviewEvent.objects.create(submission=submission, kind=ReviewEvent.Kind.REGISTRANT,
                                   from_value="email link", to_value="unsubscribed from updates")
        audit_record(actor=None, action="submission.unsubscribe", target=submission.reference)
        # Updates already queued for this person are not sent.
        Message.objects.filter(submission_id=submission_id, kind=Message.Kind.UPDATE,
                               status=Message.Status.QUEUED).update(
            status=Message.Status.CANCELLED, last_reply="not sent: unsubscribed")
    return True


def message_compose(*, message: Message, extra: dict | None = None) -> Composed:
    """The message's subject, plain text and HTML, in the registrant's language."""
    from django.urls import reverse

    submission = message.submission
    case = submission.case
    context = {
        "message": message, "submission": submission, "case": case,
        "reference": submission.reference,
        "firm_name": case.firm_name, "firm_email": case.firm_email, "firm_phone": case.firm_phone,
        "status_note": case.status_text(message.language),
        "subject": message.subject, "body": message.body, **(extra or {}),
    }
    if message.kind == Message.Kind.UPDATE and message.update is not None:
        update = message.update
        context.update({
            "subject": update.in_language("subject", message.language),
            "body": update.in_language("body", message.language),
        })
        if "unsubscribe_url" not in context:
            context["unsubscribe_url"] = unsubscribe_url(submission=submission)
    context["manage_url"] = _site_url(reverse("public:manage"))
    if message.kind == Message.Kind.EMAIL_CHANGED:
        context["new_email_masked"] = mask_email(submission.email)
    if message.kind == Message.Kind.CONFIRMATION:
        context["confirm_days"] = round(settings.CASEAPP_CONFIRM_LINK_DAYS)
        context["confirm_url"] = _site_url(
            reverse("public:email_confirm", args=[confirm_token(submission=submission)]))
    template = f"caseapp/email/{message.kind}"
    with translation.override(message.language):
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    subject, _, text = text.partition("\n")
    return Composed(subject=subject.strip(), text=text.lstrip("\n"), html=html)


def _reply_of(exc: Exception) -> tuple[str, bool]:
    """The server's refusal as text, and whether it is permanent (5xx: retrying cannot help)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()))
    elif isinstance(exc, smtplib.SMTPResponseException):
        code, reply = exc.smtp_code, exc.smtp_error
    else:
        return f"{type(exc).__name__}: {exc}"[:500], False
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return f"{code} {reply}"[:500], 500 <= int(code) < 600


def retry_delay(attempts: int) -> datetime.timedelta:
    """Doubling waits: 1, 2, 4, 8 × CASEAPP_EMAIL_RETRY_SECONDS after tries 1, 2, 3, 4."""
    return datetime.timedelta(seconds=settings.CASEAPP_EMAIL_RETRY_SECONDS * 2 ** (attempts - 1))


def message_deliver(*, message_id: int, connection=None) -> str:
    """Claim the message, send it, and record what the server said; returns the new status.

    The claim is a status-guarded UPDATE, committed before the server is contacted: two
    workers handed the same id (a recovery re-enqueue) send it once.
    """
    now = timezone.now()
    claimed = Message.objects.filter(pk=message_id, status=Message.Status.QUEUED).update(
        status=Message.Status.SENDING, attempts=F("attempts") + 1,
        lease_until=now + datetime.timedelta(seconds=settings.CASEAPP_EMAIL_LEASE_SECONDS),
    )
    if not claimed:
        return "not queued"
    message = Message.objects.select_related("submission__case").get(pk=message_id)
    if not message.submission.email:
        # Erased (withdrawn or past retention) between queueing and sending.
        _finish(message, Message.Status.FAILED, "not sent: the registration has no address")
        return Message.Status.FAILED
    extra = {}
    if message.kind == Message.Kind.ACCESS_CODE:
        from caseapp.services.registrant import access_code_issue

        extra = {"code": access_code_issue(message=message),
                 "valid_minutes": round(settings.CASEAPP_MANAGE_CODE_MINUTES)}
    email = message_email(message=message, extra=extra)
    try:
        sent = (connection or get_connection()).send_messages([email])
    except (smtplib.SMTPException, OSError) as exc:
        reply, permanent = _reply_of(exc)
        return _retry_or_fail(message, reply, permanent=permanent)
    if not sent:
        return _retry_or_fail(message, "the mail backend did not accept the message",
                              permanent=False)
    _finish(message, Message.Status.SENT, getattr(email, "smtp_reply", "accepted"))
    return Message.Status.SENT


def message_email(*, message: Message, extra: dict | None = None) -> EmailMultiAlternatives:
    composed = message_compose(message=message, extra=extra)
    case = message.submission.case
    headers = {}
    if message.kind != Message.Kind.STAFF:
        headers["Auto-Submitted"] = "auto-generated"
    if message.kind == Message.Kind.UPDATE:
        headers.update(unsubscribe_headers(submission=message.submission))
    return _email(composed, to=message.to_address or message.submission.email, case=case,
                  headers={**headers, "Message-ID": message_id_header(message=message)})


def message_id_header(*, message: Message) -> str:
    """The same Message-ID for every try of one message row: a resend after an interrupted
    send can be recognised (and is folded together by mail systems that de-duplicate).

    Unique beyond this database too, as RFC 5322 asks: the row's id alone would come again
    after a database is restored or started afresh, or on another firm's deployment, and a
    mail system that has seen it would drop the new email as a copy. So the id carries a keyed
    hash of itself and the row's creation time."""
    from email.utils import parseaddr

    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "caseapp.invalid"
    token = crypto.keyed_digest(f"{message.pk}:{message.created_at.isoformat()}",
                                purpose="message id")[:16]
    return f"<message-{message.pk}.{token}@{domain}>"


def _email(composed: Composed, *, to: str, case, headers: dict) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=composed.subject, body=composed.text, from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to], reply_to=[case.firm_email] if case.firm_email else None,
        headers=headers or None,
    )
    email.attach_alternative(composed.html, "text/html")
    return email


def _finish(message: Message, status: str, reply: str) -> None:
    # A lapsed lease may have been marked unknown meanwhile; what we now know wins.
    Message.objects.filter(
        pk=message.pk, status__in=[Message.Status.SENDING, Message.Status.UNKNOWN],
    ).update(status=status, last_reply=reply[:500], lease_until=None,
             sent_at=timezone.now() if status == Message.Status.SENT else None)


@transaction.atomic
def _retry_or_fail(message: Message, reply: str, *, permanent: bool) -> str:
    if permanent or message.attempts >= settings.CASEAPP_EMAIL_MAX_ATTEMPTS:
        _finish(message, Message.Status.FAILED, reply)
        logger.warning("message %s failed after %s tries", message.pk, message.attempts)
        return Message.Status.FAILED
    due = timezone.now() + retry_delay(message.attempts)
    Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
        status=Message.Status.QUEUED, last_reply=reply[:500], lease_until=None,
        next_attempt_at=due,
    )
    tasks.deliver_message.using(run_after=due).enqueue(message.pk)
    return Message.Status.QUEUED


# --- recovery ----------------------------------------------------------------------------------



def messages_recover(*, reschedule: bool = False) -> dict:
    """Settle what a killed worker left behind.

    - ``sending`` past its lease: the server may have accepted it, so it is marked
      ``unknown``, never resent by itself (a person gets no message twice; staff can resend).
    - ``queued`` long past due: its task died with a worker before claiming it; enqueue it
      again (the claim makes a duplicate task harmless).
    """
    now = timezone.now()
    lease = datetime.timedelta(seconds=settings.CASEAPP_EMAIL_LEASE_SECONDS)
    unknown = Message.objects.filter(
        status=Message.Status.SENDING, lease_until__lt=now, update__isnull=True,
    ).update(
        status=Message.Status.UNKNOWN, lease_until=None,
        last_reply="the worker stopped before the server's reply was recorded",
    )
    requeued = 0
    stale = Message.objects.filter(status=Message.Status.QUEUED, update__isnull=True,
                                   next_attempt_at__lt=now - lease)
    for message_id in stale.values_list("pk", flat=True)[:10_000]:
        with transaction.atomic():
            if Message.objects.filter(pk=message_id, status=Message.Status.QUEUED).update(
                    next_attempt_at=now):
                tasks.deliver_message.enqueue(message_id)
                requeued += 1
    from caseapp.services.updates import update_recover, update_resume

    lanes = 0
    for update in CaseUpdate.objects.filter(status=CaseUpdate.Status.SENDING):
        update_recover(update=update)
        lanes += update_resume(update=update, only_if_stalled=True)
    if reschedule:
        recovery_schedule(after=datetime.timedelta(seconds=settings.CASEAPP_RECOVER_SECONDS))
    return {"unknown": unknown, "requeued": requeued, "update_lanes": lanes}


def recovery_schedule(*, after: datetime.timedelta = datetime.timedelta(0)) -> bool:
    """Make sure one recovery task is waiting; returns whether one was enqueued."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path=tasks.recover_messages.module_path, status=TaskResultStatus.READY,
    ).exists()
    if waiting:
        return False
    tasks.recover_messages.using(run_after=timezone.now() + after).enqueue()
    return True


# --- staff: a message to one registrant, and resending -----------------------------------------

@transaction.atomic
def message_send_staff(*, submission: Submission, actor, subject: str, body: str,
                       request=None) -> Message:
    """Queue a message a staff member wrote to one registrant (replies go to the firm)."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    if submission.personal_data_erased_at is not None or not submission.email:
        raise ValidationError(_("This person's contact details were erased: nothing can be "
                                "sent."), code="erased")
    if not subject.strip() or not body.strip():
        raise ValidationError(_("Write a subject and a message."), code="required")
    message = message_enqueue(submission=submission, kind=Message.Kind.STAFF, actor=actor,
                              subject=subject.strip(), body=body.strip())
    audit_record(actor=actor, action="submission.message", target=submission.reference,
                 details={"message": message.pk}, request=request)
    return message


#: Kinds staff may send again: a sign-in code is asked for by the person, never resent.
RESENDABLE = (Message.Kind.CONFIRMATION, Message.Kind.STAFF, Message.Kind.UPDATE)


@transaction.atomic
def message_resend(*, message: Message, actor, request=None) -> Message:
    """Send a message again. A case update keeps its one row per recipient (the same row is
    queued again, with the same Message-ID); other kinds get a new row."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    submission = message.submission
    if message.kind not in RESENDABLE:
        raise ValidationError(_("A sign-in code cannot be resent: the person asks for a new "
                                "one at /manage/."), code="not_resendable")
    if submission.personal_data_erased_at is not None or not submission.email:
        raise ValidationError(_("This person's contact details were erased: nothing can be "
                                "sent."), code="erased")
    if message.kind == Message.Kind.UPDATE:
        if message.status in (Message.Status.QUEUED, Message.Status.SENDING):
            raise ValidationError(_("This message is still being sent."), code="in_flight")
        Message.objects.filter(pk=message.pk).update(
            status=Message.Status.QUEUED, next_attempt_at=timezone.now(), lease_until=None,
            last_reply="resent by staff")
        tasks.deliver_message.enqueue(message.pk)
        resent = message
    else:
        resent = message_enqueue(submission=submission, kind=message.kind, actor=actor,
                                 subject=message.subject, body=message.body)
    audit_record(actor=actor, action="message.resend", target=submission.reference,
                 details={"message": message.pk, "new": resent.pk}, request=request)
    return resent
