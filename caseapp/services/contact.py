"""The registrant's address from the links in their emails: confirming it, and stopping
case updates to it (one-click unsubscribe)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from caseapp.models import Message, ReviewEvent, Submission
from caseapp.services.audit import audit_record
from caseapp.services.email import confirm_token_read, unsubscribe_token_read


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
