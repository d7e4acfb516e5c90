"""Personal data over time: erasure on request, the retention purge, key rotation."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from caseapp.models import (
    AuditEvent,
    Case,
    InfoRequest,
    Message,
    ReviewEvent,
    Submission,
    SubmissionNameToken,
)
from caseapp.services.audit import audit_record

ERASED_FIELDS = {
    "full_name": "", "email": "", "phone": "", "email_index": "", "name_index": "",
    "name_state_index": "", "phone_index": "", "override_reason": "",
}


def _erase(submissions) -> int:
    """Blank the personal data of these submissions, keeping an anonymous stub for counts."""
    ids = list(submissions.filter(personal_data_erased_at__isnull=True)
               .values_list("id", flat=True))
    now = timezone.now()
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        Submission.objects.filter(id__in=chunk).update(
            **ERASED_FIELDS, personal_data_erased_at=now, possible_duplicate=False,
            version=F("version") + 1,
        )
        # The name's tokens are the name in another form: they go with it.
        SubmissionNameToken.objects.filter(submission_id__in=chunk).delete()
        # Notes are free text a reviewer typed about a person: they go too, as do the texts
        # of messages staff wrote to them, an old address a notice went to, the server's replies
        # (which can quote the address), and any message
        # not yet sent.
        ReviewEvent.objects.filter(submission_id__in=chunk).exclude(text="").update(text="")
        Message.objects.filter(submission_id__in=chunk).update(
            subject="", body="", to_address="", last_reply="")
        # What the firm wrote to them in a request for information, and their answer.
        InfoRequest.objects.filter(submission_id__in=chunk).update(note="", answer="")
        Message.objects.filter(submission_id__in=chunk, status=Message.Status.QUEUED).update(
            status=Message.Status.CANCELLED, last_reply="not sent: the personal data was erased")
    return len(ids)


#: Why a person's data is deleted: the audit log keeps the category in clear and any words
#: the staff member added sealed (they may name the person or say how they asked).
ERASURE_REASONS = {
    "person_asked": gettext_lazy("The person asked us to delete it"),
    "not_a_member": gettext_lazy("Did not fit the proposed class, and no reason to keep it"),
    "entered_by_mistake": gettext_lazy("Entered by mistake, or a test"),
    "other": gettext_lazy("Another reason (say which below)"),
}


@transaction.atomic
def submission_erase_personal_data(
    *, submission: Submission, actor: AbstractBaseUser, category: str, note: str = "",
    request: HttpRequest | None = None,
) -> None:
    """Delete one person's data on their request; outcome, answers and dates stay for counts."""
    if category not in ERASURE_REASONS:
        raise ValidationError(_("Choose why the data is being deleted."),
                              code="reason_required")
    if category == "other" and not note.strip():
        raise ValidationError(_("Write why the data is being deleted."), code="reason_required")
    erased = _erase(Submission.objects.filter(pk=submission.pk))
    audit_record(actor=actor, action="submission.erase", target=submission.reference,
                 details={"reason": category, "erased": erased}, note=note.strip(),
                 request=request, by_registrant=actor is None)


@dataclass(frozen=True)
class PurgeResult:
    sessions_deleted: int
    submissions_erased: int
    skipped_for_legal_hold: bool


@transaction.atomic
def retention_purge(*, case: Case, today: datetime.date | None = None) -> PurgeResult:
    """Delete expired sessions; erase a closed case's submissions once its retention has run.

    Sessions are staff sign-ins (a public check keeps its draft in a sealed cookie that
    expires by itself). Nothing of a case on legal hold is erased.
    """
    from django.contrib.sessions.models import Session

    today = today or timezone.localdate()
    sessions_deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    erased = 0
    purge_due = (
        case.status == Case.Status.CLOSED and case.closed_on is not None
        and case.closed_on + datetime.timedelta(days=case.purge_after_days) <= today
    )
    if purge_due and not case.legal_hold:
        erased = _erase(case.submissions.all())
    result = PurgeResult(sessions_deleted, erased, purge_due and case.legal_hold)
    audit_record(actor=None, action="retention.purge", target=case.slug, details={
        "sessions_deleted": sessions_deleted, "submissions_erased": erased,
        "skipped_for_legal_hold": result.skipped_for_legal_hold,
    })
    return result


def field_keys_rotate(*, batch_size: int = 500) -> dict[str, int]:
    """Re-encrypt every encrypted column under the first key of ``CASEAPP_FIELD_KEYS``.

    Each batch is its own transaction, so a long rotation never holds one huge lock; rows
    read with any listed key and are written with the first, so a rerun is harmless.
    """
    counts = {}
    for model, fields in ((Submission, ["full_name", "email", "phone", "override_reason"]),
                          (ReviewEvent, ["text"]),
                          (Message, ["subject", "body", "last_reply", "to_address"])):
        done = 0
        last_id = 0
        while True:
            with transaction.atomic():
                batch = list(model.objects.filter(id__gt=last_id).order_by("id")
                             .only("id", *fields)[:batch_size])
                if not batch:
                    break
                # Decrypted on load with any key; saving encrypts with the first key.
                model.objects.bulk_update(batch, fields)
            done += len(batch)
            last_id = batch[-1].id
        counts[model._meta.label] = done
    counts[AuditEvent._meta.label] = AuditEvent.objects.notes_reseal()
    from caseapp.models import SealedTOTPDevice

    devices = list(SealedTOTPDevice.objects.only("id", "key"))
    SealedTOTPDevice.objects.bulk_update(devices, ["key"])
    counts[SealedTOTPDevice._meta.label] = len(devices)
    audit_record(actor=None, action="field_keys.rotate", details=counts)
    return counts
