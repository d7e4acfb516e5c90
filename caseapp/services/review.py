"""Reviewing submissions: status and outcome, assignment, notes, duplicates, bulk actions."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from caseapp.models import ReviewEvent, Submission
from caseapp.review_rules import OVERRIDE_OUTCOMES, next_statuses
from caseapp.services.audit import audit_record
from caseapp.services.concurrency import StaleEditError

# Every staff write records an AuditEvent. Writes that staff make from a form they loaded
# earlier carry the version they saw; a mismatch raises StaleEditError instead of overwriting.


def _submission_locked(*, submission_id: int, expected_version: int) -> Submission:
    current = Submission.objects.select_for_update().get(pk=submission_id)
    if current.version != expected_version:
        raise StaleEditError(current)
    return current


def _submission_bump(*, submission: Submission, expected_version: int, **changes) -> None:
    """Write ``changes`` only if nobody moved the version on; the row lock makes it certain."""
    updated = Submission.objects.filter(pk=submission.pk, version=expected_version).update(
        version=F("version") + 1, updated_at=timezone.now(), **changes
    )
    if not updated:
        raise StaleEditError(Submission.objects.get(pk=submission.pk))


@transaction.atomic
def submission_review(
    *,
    submission: Submission,
    actor: AbstractBaseUser,
    expected_version: int,
    review_status: str,
    outcome_override: str,
    override_reason: str = "",
    request: HttpRequest | None = None,
) -> Submission:
    """Change the review status and/or the reviewer's outcome; an outcome change needs a reason."""
    current = _submission_locked(submission_id=submission.pk, expected_version=expected_version)
    changes: dict = {}
    events = []
    if review_status != current.review_status:
        if review_status not in next_statuses(current.review_status):
            raise ValidationError(
                _("A submission cannot move from “%(old)s” to “%(new)s”. Choose one of the "
                  "statuses offered."),
                code="invalid_transition",
                params={"old": current.get_review_status_display(), "new": review_status},
            )
        changes["review_status"] = review_status
        events.append(ReviewEvent(submission=current, actor=actor, kind=ReviewEvent.Kind.STATUS,
                                  from_value=current.review_status, to_value=review_status))
    if outcome_override != current.outcome_override:
        if outcome_override and outcome_override not in OVERRIDE_OUTCOMES:
            raise ValidationError(_("Choose one of the outcomes offered."),
                                  code="invalid_outcome")
        if not override_reason.strip():
            raise ValidationError(
                _("Write why you are changing the outcome; the reason is kept with the change."),
                code="override_reason_required",
            )
        changes["outcome_override"] = outcome_override
        changes["override_reason"] = override_reason.strip()
        events.append(ReviewEvent(
            submission=current, actor=actor, kind=ReviewEvent.Kind.OVERRIDE,
            from_value=current.outcome_override or current.outcome,
            to_value=outcome_override or current.outcome, text=override_reason.strip(),
        ))
    if not changes:
        return current
    _submission_bump(submission=current, expected_version=expected_version, **changes)
    ReviewEvent.objects.bulk_create(events)
    audit_record(actor=actor, action="submission.review", target=current.reference, request=request,
                 details={key: value for key, value in changes.items()
                          if key != "override_reason"})
    current.refresh_from_db()
    return current


@transaction.atomic
def submission_assign(
    *,
    submission: Submission,
    actor: AbstractBaseUser,
    expected_version: int,
    assignee: AbstractBaseUser | None,
    request: HttpRequest | None = None,
) -> Submission:
    current = _submission_locked(submission_id=submission.pk, expected_version=expected_version)
    new_id = assignee.pk if assignee is not None else None
    if new_id == current.assignee_id:
        return current
    old_label = current.assignee.get_username() if current.assignee_id else ""
    new_label = assignee.get_username() if assignee is not None else ""
    _submission_bump(submission=current, expected_version=expected_version, assignee_id=new_id)
    ReviewEvent.objects.create(submission=current, actor=actor, kind=ReviewEvent.Kind.ASSIGN,
                               from_value=old_label, to_value=new_label)
    audit_record(actor=actor, action="submission.assign", target=current.reference,
                 request=request, details={"assignee": new_label})
    current.refresh_from_db()
    return current


@transaction.atomic
def submission_note_add(
    *, submission: Submission, actor: AbstractBaseUser, text: str,
    request: HttpRequest | None = None,
) -> ReviewEvent:
    """Notes only append, so they need no version check."""
    if not text.strip():
        raise ValidationError(_("Write the note before adding it."), code="required")
    event = ReviewEvent.objects.create(submission=submission, actor=actor,
                                       kind=ReviewEvent.Kind.NOTE, text=text.strip())
    audit_record(actor=actor, action="submission.note", target=submission.reference,
                 request=request)
    return event


@transaction.atomic
def submission_mark_duplicate(
    *,
    submission: Submission,
    actor: AbstractBaseUser,
    expected_version: int,
    duplicate_of: Submission | None,
    request: HttpRequest | None = None,
) -> Submission:
    """Mark ``submission`` as a duplicate of another (``None`` clears the mark)."""
    current = _submission_locked(submission_id=submission.pk, expected_version=expected_version)
    if duplicate_of is not None and duplicate_of.pk == current.pk:
        raise ValidationError(_("A submission cannot be a duplicate of itself."),
                              code="self_duplicate")
    if duplicate_of is not None and Submission.objects.filter(
            pk=duplicate_of.pk, duplicate_of=current.pk).exists():
        raise ValidationError(
            _("%(other)s is already marked as a duplicate of this one. Clear that mark first."),
            code="duplicate_cycle", params={"other": duplicate_of.reference},
        )
    new_id = duplicate_of.pk if duplicate_of is not None else None
    if new_id == current.duplicate_of_id:
        return current
    old_ref = current.duplicate_of.reference if current.duplicate_of_id else ""
    new_ref = duplicate_of.reference if duplicate_of is not None else ""
    changes = {"duplicate_of_id": new_id}
    if duplicate_of is not None:
        changes["possible_duplicate"] = True
        Submission.objects.filter(pk=duplicate_of.pk).update(possible_duplicate=True)
    _submission_bump(submission=current, expected_version=expected_version, **changes)
    ReviewEvent.objects.create(submission=current, actor=actor, kind=ReviewEvent.Kind.DUPLICATE,
                               from_value=old_ref, to_value=new_ref)
    audit_record(actor=actor, action="submission.duplicate", target=current.reference,
                 request=request, details={"duplicate_of": new_ref})
    current.refresh_from_db()
    return current


@dataclass(frozen=True)
class BulkResult:
    updated: int
    skipped: int


#: A bulk action never touches more rows than a page can show.
BULK_LIMIT = 100


@transaction.atomic
def submission_bulk_update(
    *,
    actor: AbstractBaseUser,
    references: list[str],
    action: str,
    assignee: AbstractBaseUser | None = None,
    review_status: str = "",
    request: HttpRequest | None = None,
) -> BulkResult:
    """Assign, or move the review status of, the selected submissions.

    Rows whose status cannot move to ``review_status`` under the workflow are skipped, not
    forced, and counted in the result.
    """
    if len(references) > BULK_LIMIT:
        raise ValidationError(_("Select at most %(limit)d submissions at a time."),
                              code="too_many", params={"limit": BULK_LIMIT})
    rows = list(Submission.objects.select_for_update(of=("self",)).select_related("assignee")
                .filter(reference__in=references).only(
                    "id", "reference", "review_status", "assignee__username", "version"))
    now = timezone.now()
    if action == "assign":
        new_id = assignee.pk if assignee is not None else None
        chosen = [row for row in rows if row.assignee_id != new_id]
        label = assignee.get_username() if assignee is not None else ""
        events = [ReviewEvent(submission=row, actor=actor, kind=ReviewEvent.Kind.ASSIGN,
                              from_value=row.assignee.get_username() if row.assignee_id else "",
                              to_value=label) for row in chosen]
        changes: dict = {"assignee_id": new_id}
        details: dict = {"assignee": label}
    elif action == "status":
        if review_status not in Submission.ReviewStatus.values:
            raise ValidationError(_("Choose a review status."), code="invalid_status")
        chosen = [row for row in rows if review_status in next_statuses(row.review_status)]
        events = [ReviewEvent(submission=row, actor=actor, kind=ReviewEvent.Kind.STATUS,
                              from_value=row.review_status, to_value=review_status)
                  for row in chosen]
        changes = {"review_status": review_status}
        details = {"review_status": review_status}
    else:
        raise ValidationError(_("Choose a bulk action."), code="invalid_action")
    Submission.objects.filter(pk__in=[row.pk for row in chosen]).update(
        version=F("version") + 1, updated_at=now, **changes
    )
    ReviewEvent.objects.bulk_create(events)
    result = BulkResult(updated=len(chosen), skipped=len(rows) - len(chosen))
    audit_record(actor=actor, action="submission.bulk_update", request=request, details={
        "action": action, **details, "updated": result.updated, "skipped": result.skipped,
        "references": sorted(row.reference for row in chosen),
    })
    return result
