"""Requests for information as staff read them: what came back to a reviewer, and the dates."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from caseapp import review_rules
from caseapp.models import InfoRequest, InfoRequestReason, Submission


def info_received_for(*, user, limit: int = 20) -> list[Submission]:
    """The submissions assigned to ``user`` whose person answered a request for information,
    the earliest answer first: the top of that reviewer's work."""
    answered = (InfoRequest.objects.filter(submission=OuterRef("pk"), answered_at__isnull=False)
                .order_by("-answered_at").values("answered_at")[:1])
    return list(Submission.objects.filter(assignee=user, review_status=review_rules.INFO_RECEIVED)
                .annotate(info_received_at=Subquery(answered))
                .only("id", "reference", "created_at", "review_status")
                .order_by("info_received_at", "id")[:limit])


def reasons_offered() -> QuerySet:
    """The reasons a reviewer may give in a request (those supervisors keep active)."""
    return InfoRequestReason.objects.filter(active=True)


def reasons_all() -> QuerySet:
    """Every reason, active or not, as the supervisors' page lists them."""
    return InfoRequestReason.objects.all()


def request_candidates(*, references: list[str]) -> list[Submission]:
    """The selected submissions a bulk request for information would ask, as its page lists
    them: reference, status, and whether anyone is left to ask."""
    return list(Submission.objects.filter(reference__in=references).only(
        "id", "reference", "review_status", "personal_data_erased_at").order_by("reference"))


def with_info_request_dates(qs: QuerySet) -> QuerySet:
    """``info_requested_at`` and ``info_received_at`` of each submission's latest request."""
    latest = InfoRequest.objects.filter(submission=OuterRef("pk")).order_by("-requested_at",
                                                                             "-id")
    return qs.annotate(info_requested_at=Subquery(latest.values("requested_at")[:1]),
                       info_received_at=Subquery(latest.values("answered_at")[:1]))
