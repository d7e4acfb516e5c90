"""Duplicates: marking one registration as another's, and keeping one of several."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from caseapp.models import ReviewEvent, Submission
from caseapp.services.audit import audit_record
from caseapp.services.concurrency import submission_bump, submission_locked


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
    current = submission_locked(submission_id=submission.pk, expected_version=expected_version)
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
    submission_bump(submission=current, expected_version=expected_version, **changes)
    ReviewEvent.objects.create(submission=current, actor=actor, kind=ReviewEvent.Kind.DUPLICATE,
                               from_value=old_ref, to_value=new_ref)
    audit_record(actor=actor, action="submission.duplicate", target=current.reference,
                 request=request, details={"duplicate_of": new_ref})
    current.refresh_from_db()
    return current


@transaction.atomic
def submission_keep_one(*, keep: Submission, duplicates: list[Submission],
                        actor: AbstractBaseUser, request: HttpRequest | None = None,
                        ) -> list[str]:
    """Keep ``keep`` and mark each of ``duplicates`` as its duplicate; return the references
    marked. If the kept one was itself marked as a duplicate of one of them, that mark is
    cleared first (it is now the original), and whatever was marked as a duplicate of a
    newly marked one follows to the kept one, so no chain is left behind."""
    ids = sorted({keep.pk, *(other.pk for other in duplicates)})
    rows = {row.pk: row for row in Submission.objects.select_for_update()
            .filter(pk__in=ids).order_by("pk")}
    kept = rows[keep.pk]
    others = [rows[other.pk] for other in duplicates if other.pk in rows and other.pk != kept.pk]
    now = timezone.now()
    events = []
    if kept.duplicate_of_id in {other.pk for other in others}:
        events.append(ReviewEvent(submission=kept, actor=actor, kind=ReviewEvent.Kind.DUPLICATE,
                                  from_value=rows[kept.duplicate_of_id].reference, to_value=""))
        Submission.objects.filter(pk=kept.pk).update(
            duplicate_of=None, version=F("version") + 1, updated_at=now)
    marked = []
    for other in others:
        if other.duplicate_of_id == kept.pk:
            continue
        events.append(ReviewEvent(
            submission=other, actor=actor, kind=ReviewEvent.Kind.DUPLICATE,
            from_value=rows[other.duplicate_of_id].reference
            if other.duplicate_of_id in rows else "", to_value=kept.reference))
        marked.append(other)
    Submission.objects.filter(pk__in=[other.pk for other in marked]).update(
        duplicate_of=kept.pk, possible_duplicate=True, version=F("version") + 1, updated_at=now)
    followers = Submission.objects.filter(duplicate_of__in=[other.pk for other in marked])
    Submission.objects.filter(pk__in=list(followers.values_list("pk", flat=True))).update(
        duplicate_of=kept.pk, version=F("version") + 1, updated_at=now)
    Submission.objects.filter(pk=kept.pk).update(possible_duplicate=True)
    ReviewEvent.objects.bulk_create(events)
    references = sorted(other.reference for other in marked)
    audit_record(actor=actor, action="submission.merge", target=kept.reference, request=request,
                 details={"kept": kept.reference, "marked": references})
    return references
