"""Staff writing to one registrant, sending a message again, and the texts they start from."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from caseapp.models import Message, MessageTemplate, Submission
from caseapp.services import submits
from caseapp.services.audit import audit_record
from caseapp.services.email import message_enqueue, message_requeue
from caseapp.services.submits import submit_once

#: Kinds staff may send again: a sign-in code is asked for by the person, never resent.
RESENDABLE = (Message.Kind.CONFIRMATION, Message.Kind.STAFF, Message.Kind.UPDATE,
              Message.Kind.INFO_REQUEST, Message.Kind.INFO_REMINDER)


def _refuse_if_erased(submission: Submission) -> None:
    if submission.personal_data_erased_at is not None or not submission.email:
        raise ValidationError(_("This person's contact details were erased: nothing can be "
                                "sent."), code="erased")


@transaction.atomic
def message_send_staff(*, submission: Submission, actor, subject: str, body: str,
                       request=None, submit_token: str = "") -> Message:
    """Queue a message a staff member wrote to one registrant (replies go to the firm); with
    the form's ``submit_token``, once (a second submit returns the first's message)."""
    if submit_token:
        message_id, _made = submit_once(
            action=submits.STAFF_MESSAGE, key=submit_token,
            perform=lambda: message_send_staff(submission=submission, actor=actor,
                                               subject=subject, body=body, request=request).pk)
        return Message.objects.get(pk=message_id)
    _refuse_if_erased(submission)
    if not subject.strip() or not body.strip():
        raise ValidationError(_("Write a subject and a message."), code="required")
    message = message_enqueue(submission=submission, kind=Message.Kind.STAFF, actor=actor,
                              subject=subject.strip(), body=body.strip())
    audit_record(actor=actor, action="submission.message", target=submission.reference,
                 details={"message": message.pk}, request=request)
    return message


@transaction.atomic
def message_resend(*, message: Message, actor, request=None, submit_token: str = "") -> Message:
    """Send a message again. A case update keeps its one row per recipient (the same row is
    queued again, with the same Message-ID); other kinds get a new row. With the page's
    ``submit_token``, once per message shown (a double click resends once)."""
    if submit_token:
        resent_id, _made = submit_once(
            action=submits.RESEND, key=f"{submit_token[:43]}:{message.pk}",
            perform=lambda: message_resend(message=message, actor=actor, request=request).pk)
        return Message.objects.get(pk=resent_id)
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


@transaction.atomic
def message_template_save(*, template: MessageTemplate, actor, name: str, subject: str,
                          body: str, subject_es: str, body_es: str,
                          request=None) -> MessageTemplate:
    """A supervisor's new wording of a starting text (its name, subject and body in both
    languages), saved with its audit row or not at all."""
    template.name, template.subject, template.body = name, subject, body
    template.subject_es, template.body_es = subject_es, body_es
    template.save()
    audit_record(actor=actor, action="message_template.update", target=template.key,
                 request=request)
    return template
