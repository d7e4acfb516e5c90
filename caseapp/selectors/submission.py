"""One submission as staff see it: the row, its timeline, its possible duplicates."""

from __future__ import annotations

from django.db.models import Q

from caseapp.models import ReviewEvent, Submission


def submission_for_staff(*, reference: str) -> Submission:
    """One submission with what its page shows; ``Submission.DoesNotExist`` if none."""
    if "\x00" in reference:
        raise Submission.DoesNotExist
    return Submission.objects.select_related("assignee", "duplicate_of").get(reference=reference)


def submission_by_reference(*, reference: str) -> Submission | None:
    """The submission with this exact reference, or None."""
    return Submission.objects.filter(reference=reference).first()


def submissions_for_staff_by_id(*, ids: list[int]) -> dict[int, Submission]:
    """Several submissions by id, with the assignee and duplicate mark their rows show."""
    return Submission.objects.select_related("assignee", "duplicate_of").in_bulk(ids)


def submission_timeline(*, submission: Submission) -> list[ReviewEvent]:
    return list(submission.events.select_related("actor").order_by("created_at", "id"))


def submission_possible_duplicates(*, submission: Submission, limit: int = 20) -> list[dict]:
    """Other submissions with the same email (normalised), the same name (accents, case,
    hyphens and spaces folded) and state, or the same phone number; each with why it
    matches."""
    # One indexed lookup per reason, joined by UNION: as one OR, the planner walked the whole
    # received-order index looking for the few matches (370 ms at 100,000 rows on SQLite).
    lookups = [Q(duplicate_of=submission)]
    if submission.email_index:
        lookups.append(Q(email_index=submission.email_index))
    if submission.name_state_index:
        lookups.append(Q(name_state_index=submission.name_state_index))
    if submission.phone_index:
        lookups.append(Q(phone_index=submission.phone_index))
    ids = [Submission.objects.order_by().filter(lookup).values_list("id", flat=True)
           for lookup in lookups]
    matching = set(ids[0].union(*ids[1:]))
    others = (Submission.objects.filter(pk__in=matching - {submission.pk}).only(
                  "id", "reference", "created_at", "full_name", "state", "email_index",
                  "name_state_index", "phone_index", "duplicate_of_id", "review_status")
              .order_by("created_at", "id")[:limit])
    result = []
    for other in others:
        reasons = []
        if submission.email_index and other.email_index == submission.email_index:
            reasons.append("email")
        if submission.name_state_index and other.name_state_index == submission.name_state_index:
            reasons.append("name_state")
        if submission.phone_index and other.phone_index == submission.phone_index:
            reasons.append("phone")
        if other.duplicate_of_id == submission.pk:
            reasons.append("marked")
        result.append({"submission": other, "reasons": reasons})
    return result
