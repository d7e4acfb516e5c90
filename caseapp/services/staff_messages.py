"""Staff writing to one registrant, and sending a message again."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from caseapp.models import Message, Submission
from caseapp.services.audit import audit_record
from caseapp.services.email import message_enqueue, message_requeue

#: Kinds staff may send again: a sign-in code is asked for by the person, never resent.
RESENDABLE = (Message.Kind.CONFIRMATION, Message.Kind.STAFF, Message.Kind.UPDATE)


def _refuse_if_erased(submission: Submission) -> None:
    if submission.personal_data_erased_at is not None or not submission.email:
        raise ValidationError(_("This person's contact details were erased: nothing can be "
                                "sent."), code="erased")


@transaction.atomic
def message_send_staff(*, submission: Submission, actor, subject: str, body: str,
                       request=None) -> Message:
    """Queue a message a staff member wrote to one registrant (replies go to the firm)."""
    _refuse_if_erased(submission)
    if not subject.strip() or not body.strip():
        raise ValidationError(_("Write a subject and a message."), code="required")
    message = message_enqueue(submission=submission, kind=Message.Kind.STAFF, actor=actor,
                              subject=subject.strip(), body=body.strip())
    audit_record(actor=actor, action="submission.message", target=submission.reference,
                 details={"message": message.pk}, request=request)
    return message


@transaction.atomic
def message_resend(*, message: Message, actor, request=None) -> Message:
    """Send a message again. A case update keeps its one row per recipient (the same row is
    queued again, with the same Message-ID); other kinds get a new row."""
    submission = message.submission
    if message.kind not in RESENDABLE:
        raise ValidationError(_("A sign-in code cannot be resent: the person asks for a new "
                                "one at /manage/."), code="not_resendable")
    _refuse_if_erased(submission)
    if message.kind == Message.Kind.UPDATE:
        if message.status in (Message.Status.QUEUED, Message.Status.SENDING):
            raise ValidationError(_("This message is still being sent."), code="in_flight")
        message_requeue(message=message, reply="resent by staff")
        resent = message
    else:
        resent = message_enqueue(submission=submission, kind=message.kind, actor=actor,
                                 subject=message.subject, body=message.body)
    audit_record(actor=actor, action="message.resend", target=submission.reference,
                 details={"message": message.pk, "new": resent.pk}, request=request)
    return resent
