"""Duplicates: marking one registration as another's, and keeping one of several."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from caseapp import review_rules
from caseapp.models import ReviewEvent, Submission
from caseapp.services.audit import audit_record
from caseapp.services.concurrency import submission_bump, submission_locked
from caseapp.services.intake import MATCH_FIELDS

#: A marked duplicate is closed: ``review_status == "duplicate"`` (and ``duplicate_of`` set).
#: Open work, ageing, the exposure and the default audience of updates leave it out; filter
#: on this to leave it out too.
MARKED_DUPLICATE = Q(review_status=review_rules.DUPLICATE)


def submission_refresh_possible_duplicate(*, submission_id: int) -> bool:
    """Whether the submission still has an unresolved match: another registration sharing a
    blind index that is not already closed as a duplicate of it (or it of that one). Kept in
    ``possible_duplicate``, so the kept one stops saying "possible duplicate"."""
    row = Submission.objects.filter(pk=submission_id).only(
        "id", "duplicate_of_id", *MATCH_FIELDS).first()
    if row is None:
        return False
    match = Q(pk__in=[])
    for field in MATCH_FIELDS:
        if getattr(row, field):
            match |= Q(**{field: getattr(row, field)})
    if row.duplicate_of_id is not None:
        unresolved = False  # closed itself: nothing left to resolve here
    else:
        unresolved = Submission.objects.filter(match).exclude(pk=row.pk).exclude(
            duplicate_of=row.pk).exists()
    Submission.objects.filter(pk=row.pk).update(possible_duplicate=unresolved)
    return unresolved


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
    changes: dict = {"duplicate_of_id": new_id}
    events = [ReviewEvent(submission=current, actor=actor, kind=ReviewEvent.Kind.DUPLICATE,
                          from_value=old_ref, to_value=new_ref)]
    # Marking closes it; clearing the mark puts it back into review.
    new_status = review_rules.DUPLICATE if duplicate_of is not None else (
        review_rules.IN_REVIEW if current.review_status == review_rules.DUPLICATE
        else current.review_status)
    if new_status != current.review_status:
        changes["review_status"] = new_status
        events.append(ReviewEvent(submission=current, actor=actor, kind=ReviewEvent.Kind.STATUS,
                                  from_value=current.review_status, to_value=new_status))
    if duplicate_of is not None:
        changes["possible_duplicate"] = False
    submission_bump(submission=current, expected_version=expected_version, **changes)
    ReviewEvent.objects.bulk_create(events)
    for touched in {current.duplicate_of_id, new_id} - {None}:
        submission_refresh_possible_duplicate(submission_id=touched)
    if duplicate_of is None:
        submission_refresh_possible_duplicate(submission_id=current.pk)
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
        reopened = {}
        if kept.review_status == review_rules.DUPLICATE:
            reopened["review_status"] = review_rules.IN_REVIEW
            events.append(ReviewEvent(submission=kept, actor=actor, kind=ReviewEvent.Kind.STATUS,
                                      from_value=kept.review_status,
                                      to_value=review_rules.IN_REVIEW))
        Submission.objects.filter(pk=kept.pk).update(
            duplicate_of=None, version=F("version") + 1, updated_at=now, **reopened)
    marked = []
    for other in others:
        if other.duplicate_of_id == kept.pk:
            continue
        events.append(ReviewEvent(
            submission=other, actor=actor, kind=ReviewEvent.Kind.DUPLICATE,
            from_value=rows[other.duplicate_of_id].reference
            if other.duplicate_of_id in rows else "", to_value=kept.reference))
        marked.append(other)
        if other.review_status != review_rules.DUPLICATE:
            events.append(ReviewEvent(
                submission=other, actor=actor, kind=ReviewEvent.Kind.STATUS,
                from_value=other.review_status, to_value=review_rules.DUPLICATE))
    Submission.objects.filter(pk__in=[other.pk for other in marked]).update(
        duplicate_of=kept.pk, possible_duplicate=False, review_status=review_rules.DUPLICATE,
        version=F("version") + 1, updated_at=now)
    followers = Submission.objects.filter(duplicate_of__in=[other.pk for other in marked])
    Submission.objects.filter(pk__in=list(followers.values_list("pk", flat=True))).update(
        duplicate_of=kept.pk, version=F("version") + 1, updated_at=now)
    ReviewEvent.objects.bulk_create(events)
    submission_refresh_possible_duplicate(submission_id=kept.pk)
    references = sorted(other.reference for other in marked)
    audit_record(actor=actor, action="submission.merge", target=kept.reference, request=request,
                 details={"kept": kept.reference, "marked": references})
    return references
