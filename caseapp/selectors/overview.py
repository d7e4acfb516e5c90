"""The numbers for the overview: counts, weeks, the public funnel."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone

from caseapp import eligibility, review_rules
from caseapp.models import DailyCount, DecisionCount, Submission, SubmissionTally


def _accepted_not_standing() -> list[tuple[str, str, int]]:
    """(outcome, override, count) of accepted submissions marked as a duplicate, or withdrawn
    or erased since: counted in the tally as accepted, owed nothing.

    Read from the submissions, not the tally: only a reviewer's "mark as duplicate" or an
    erasure makes them, so they number in the hundreds, not the registrations' millions, and
    the partial index ``sub_accepted_closed`` (its condition is this filter) holds exactly
    them. Adding both marks to the tally's key would have meant rewriting its triggers on both
    databases for numbers this small."""
    return list(Submission.objects.order_by().filter(Submission.ACCEPTED_NOT_STANDING)
                .values_list("outcome", "outcome_override").annotate(n=Count("id"))
                .values_list("outcome", "outcome_override", "n"))


def overview_counts() -> dict:
    """Counts by automatic and effective outcome, by review status, and what the exposure
    estimate needs, from the running tally (a few dozen rows at any size) that triggers keep."""
    by_outcome: Counter = Counter()
    by_effective: Counter = Counter()
    by_status: Counter = Counter()
    open_needs_review = owed = 0
    groups = SubmissionTally.objects.filter(total__gt=0).values_list(
        "outcome", "outcome_override", "review_status", "total")
    for outcome, override, status, n in groups:
        by_outcome[outcome] += n
        by_effective[review_rules.effective_outcome(outcome, override)] += n
        by_status[status] += n
        if review_rules.is_open_needs_review(status=status, outcome=outcome, override=override):
            open_needs_review += n
        if review_rules.counts_toward_exposure(status=status, outcome=outcome,
                                               override=override, duplicate=False):
            owed += n
    for outcome, override, n in _accepted_not_standing():
        if review_rules.counts_toward_exposure(status=review_rules.ACCEPTED, outcome=outcome,
                                               override=override, duplicate=False):
            owed -= n
    return {
        "by_outcome": [(value, label, by_outcome.get(value, 0))
                       for value, label in Submission._meta.get_field("outcome").choices
                       if value != eligibility.Outcome.INCOMPLETE.value
                       or by_outcome.get(value)],
        "by_effective_outcome": [
            (value, label, by_effective.get(value, 0))
            for value, label in Submission._meta.get_field("outcome").choices
            if value != eligibility.Outcome.INCOMPLETE.value or by_effective.get(value)],
        "by_status": [(value, label, by_status.get(value, 0))
                      for value, label in Submission.ReviewStatus.choices],
        "total": sum(by_outcome.values()),
        "accepted": by_status.get(Submission.ReviewStatus.ACCEPTED, 0),
        # Accepted, eligible after review, not marked duplicate, not withdrawn or erased.
        "owed": owed,
        "open_needs_review": open_needs_review,
    }


@dataclass(frozen=True)
class WeekCount:
    start: datetime.date
    count: int


def submissions_per_week(*, weeks: int = 26, today: datetime.date | None = None
                         ) -> list[WeekCount]:
    """Registrations in each of the last ``weeks`` weeks (Monday to Sunday), from the daily
    counters that each registration adds to in its own transaction: a few hundred rows at any
    size, where counting the submissions themselves read half a million index entries."""
    if not weeks:
        return []
    today = today or timezone.localdate()
    first = today - datetime.timedelta(days=today.weekday() + 7 * (weeks - 1))
    per_week: Counter = Counter()
    for day, n in DailyCount.objects.filter(
            metric=DailyCount.Metric.REGISTERED, day__gte=first, day__lte=today,
    ).values_list("day", "count"):
        per_week[(day - first).days // 7] += n
    return [WeekCount(first + datetime.timedelta(weeks=i), per_week[i]) for i in range(weeks)]


def funnel_totals() -> list[tuple[str, str, int]]:
    """The public funnel from the anonymous daily counters, all days summed."""
    totals = dict(DailyCount.objects.order_by().values_list("metric")
                  .annotate(n=Sum("count")).values_list("metric", "n"))
    return [(value, label, totals.get(value, 0)) for value, label in DailyCount.Metric.choices]


#: Days waiting, as the attorneys ask about them: (first day, last day or None for "and more").
AGE_BUCKETS = [(0, 2), (3, 7), (8, 14), (15, 30), (31, 60), (61, None)]


@dataclass(frozen=True)
class AgeBucket:
    first_day: int
    last_day: int | None
    count: int
    more: bool  # the count stopped at its bound: "more than"


def _open_work():
    """Open submissions (new, in review, needs information) whose personal data was not
    erased: those wait for someone. The partial index ``sub_open_received`` holds exactly
    these rows in received order (migration 0018; 0021 rebuilt it with the rule's fourth
    status, without which the planner could not use it)."""
    return Submission.objects.filter(review_status__in=sorted(review_rules.OPEN_STATUSES),
                                     personal_data_erased_at__isnull=True)


def open_ageing(*, now: datetime.datetime | None = None, limit: int = 1000) -> list[AgeBucket]:
    """Open work by days waiting, oldest bucket last. Each bucket is counted by the database
    up to ``limit`` (``COUNT`` over a ``LIMIT``), as the queue's count is: an exact count of
    700,000 open rows at a million would read them all on every overview. Each count reads
    the partial index alone (at a million rows 0.25 ms a bucket).

    One statement with a scalar subquery a bucket, written out: the ORM cannot put a
    ``LIMIT`` inside an aggregate's subquery, nor (on SQLite) inside a ``UNION``, and six
    ORM counts cost the overview 4.0 of its 22.5 ms CPU (docs/decisions.md: this is a
    hand-made speed-up kept under issue 18's 10 % rule). The condition is the open-work
    index's own (``_open_work``; the plan test holds them together)."""
    now = now or timezone.now()
    quote, adapt = connection.ops.quote_name, connection.ops.adapt_datetimefield_value
    field = Submission._meta.get_field
    statuses = sorted(review_rules.OPEN_STATUSES)
    bucket = (
        f"(SELECT COUNT(*) FROM (SELECT 1 FROM {quote(Submission._meta.db_table)}"  # noqa: S608 (names from _meta)
        f" WHERE {quote(field('review_status').column)} IN ({', '.join(['%s'] * len(statuses))})"
        f" AND {quote(field('personal_data_erased_at').column)} IS NULL"
        f" AND {quote(field('created_at').column)} <= %s"
        f" AND {quote(field('created_at').column)} > %s LIMIT %s) AS bucket)")
    params: list = []
    for first_day, last_day in AGE_BUCKETS:
        newest = now - datetime.timedelta(days=first_day)
        oldest = (now - datetime.timedelta(days=last_day + 1) if last_day is not None
                  else datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc))
        params += [*statuses, adapt(newest), adapt(oldest), limit + 1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join([bucket] * len(AGE_BUCKETS)), params)
        counts = cursor.fetchone()
    return [AgeBucket(first_day, last_day, min(found, limit), found > limit)
            for (first_day, last_day), found in zip(AGE_BUCKETS, counts, strict=True)]


def oldest_open(*, limit: int = 10) -> list[Submission]:
    """The open work that has waited longest (as in the ageing): the first rows of the
    partial index, one query."""
    return list(_open_work().order_by("created_at", "id").select_related("assignee")
                .only("id", "reference", "created_at", "review_status", "outcome",
                      "outcome_override", "assignee__username")[:limit])


@dataclass(frozen=True)
class ReviewerThroughput:
    reviewer: str
    per_day: list[int]  # one count per day, oldest first
    by_decision: dict[str, int]
    total: int


def decisions_per_reviewer(*, days: int = 30, today: datetime.date | None = None
                           ) -> tuple[list[datetime.date], list[ReviewerThroughput]]:
    """Decisions per reviewer per day over the last ``days`` days (today included), from the
    counters the review service adds to: a few hundred rows whatever the size."""
    today = today or timezone.localdate()
    first = today - datetime.timedelta(days=days - 1)
    dates = [first + datetime.timedelta(days=i) for i in range(days)]
    table: dict[str, dict] = {}
    for day, username, decision, n in (
            DecisionCount.objects.filter(day__gte=first, day__lte=today)
            .values_list("day", "reviewer__username", "decision", "count")):
        entry = table.setdefault(username or "", {"per_day": [0] * days, "by_decision": Counter()})
        entry["per_day"][(day - first).days] += n
        entry["by_decision"][decision] += n
    rows = [ReviewerThroughput(name, entry["per_day"], dict(entry["by_decision"]),
                               sum(entry["per_day"]))
            for name, entry in table.items()]
    return dates, sorted(rows, key=lambda row: (-row.total, row.reviewer))
