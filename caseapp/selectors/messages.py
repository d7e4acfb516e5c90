"""Reads about email: a submission's messages, the message templates, case updates and how
far each has got."""

from __future__ import annotations

from django.core.validators import slug_re
from django.db.models import Count, QuerySet

from caseapp.models import CaseUpdate, Message, MessageTemplate, Submission


def submission_messages(*, submission: Submission) -> list[Message]:
    """Every message to this person, oldest first, for the timeline."""
    return list(submission.messages.select_related("actor", "update").order_by("created_at",
                                                                               "id"))


def submission_message(*, submission: Submission, message_id: int) -> Message | None:
    """One of this person's messages, or None (an id from another submission finds nothing)."""
    return submission.messages.filter(pk=message_id).first()


def submission_unsubscribed(*, submission_id: int) -> bool:
    """Whether this registrant has already stopped case updates."""
    return Submission.objects.filter(pk=submission_id,
                                     updates_unsubscribed_at__isnull=False).exists()


def message_templates() -> list[MessageTemplate]:
    return list(MessageTemplate.objects.order_by("name"))


def message_template(*, key: str) -> MessageTemplate | None:
    """The template with this key, or None. A key is a slug: anything else (a NUL byte, which
    PostgreSQL refuses in a query, made ``?template=%00`` a 500) names no template."""
    if not key or not slug_re.fullmatch(key):
        return None
    return MessageTemplate.objects.filter(key=key).first()


def case_update_by_id(*, update_id: int) -> CaseUpdate | None:
    return CaseUpdate.objects.filter(pk=update_id).first()


def case_updates_recent(*, limit: int = 50) -> QuerySet:
    return CaseUpdate.objects.select_related("created_by").order_by("-created_at")[:limit]


def update_progress(*, update: CaseUpdate) -> dict[str, int]:
    """How many of the update's messages are in each status (one indexed GROUP BY)."""
    counts = dict(Message.objects.filter(update=update).values_list("status")
                  .annotate(n=Count("id")))
    return {status: counts.get(status, 0) for status in Message.Status.values}


def update_recipients_page(*, update: CaseUpdate, after: int = 0, per_page: int = 100,
                           status: str = "") -> list[Message]:
    """One page of the update's recipients in id order, by reference (no address shown)."""
    rows = Message.objects.filter(update=update, pk__gt=after)
    if status:
        rows = rows.filter(status=status)
    return list(rows.select_related("submission").only(
        "id", "status", "attempts", "last_reply", "sent_at", "submission__reference",
    ).order_by("id")[:per_page])
