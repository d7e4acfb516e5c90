"""The numbers for the overview: counts, weeks, the public funnel."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Sum
from django.utils import timezone

from caseapp import eligibility, review_rules
from caseapp.models import DailyCount, Submission, SubmissionTally


def _accepted_duplicates() -> list[tuple[str, str, int]]:
    """(outcome, override, count) of accepted submissions marked as a duplicate.

    Read from the submissions, not the tally: only a reviewer's "mark as duplicate" sets
    ``duplicate_of``, so these rows number in the reviewers' hundreds, not the registrations'
    millions, and the foreign key's index finds them. Adding the mark to the tally's key would
    have meant rewriting its triggers on both databases for a number this small."""
    return list(Submission.objects.order_by()
                .filter(duplicate_of__isnull=False, review_status=review_rules.ACCEPTED)
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
    for outcome, override, n in _accepted_duplicates():
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
        # Accepted, eligible after review, not marked duplicate: what can be owed.
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
