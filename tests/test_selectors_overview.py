"""caseapp.selectors.overview: the numbers for the overview: counts, weeks, the public funnel."""

from __future__ import annotations

import datetime

import pytest

from caseapp.models import DailyCount, Submission
from caseapp.review_rules import exposure_estimate
from caseapp.selectors.overview import overview_counts, submissions_per_week
from tests.factories import NEEDS_REVIEW_ANSWERS, make_submission


@pytest.mark.django_db
def test_overview_counts_use_the_effective_outcome_for_open_needs_review(case):
    make_submission(answers=NEEDS_REVIEW_ANSWERS)
    overridden = make_submission(answers=NEEDS_REVIEW_ANSWERS)
    Submission.objects.filter(pk=overridden.pk).update(outcome_override="eligible")
    promoted = make_submission()
    Submission.objects.filter(pk=promoted.pk).update(outcome_override="needs_review")
    closed = make_submission(answers=NEEDS_REVIEW_ANSWERS)
    Submission.objects.filter(pk=closed.pk).update(review_status="rejected")
    counts = overview_counts()
    assert counts["open_needs_review"] == 2
    assert exposure_estimate(accepted=3, open_needs_review=2) == {
        "per_person": 1000, "low": 3000, "high": 5000}


@pytest.mark.django_db
def test_submissions_per_week_buckets_monday_to_sunday(case):
    today = datetime.date(2026, 11, 25)  # a Wednesday
    for day, n in ((datetime.date(2026, 11, 23), 2),  # Monday of this week
                   (datetime.date(2026, 11, 22), 3),  # Sunday before
                   (datetime.date(2026, 11, 26), 7),  # after today: not yet
                   (datetime.date(2026, 1, 1), 5)):  # outside the window
        DailyCount.objects.create(day=day, metric="registered", count=n)
    DailyCount.objects.create(day=datetime.date(2026, 11, 24), metric="started", count=9)
    weeks = submissions_per_week(weeks=4, today=today)
    assert [w.start for w in weeks] == [datetime.date(2026, 11, d) for d in (2, 9, 16, 23)]
    assert [w.count for w in weeks] == [0, 0, 3, 2]


def test_each_registration_counts_in_its_week(case):
    make_submission()
    make_submission(answers=NEEDS_REVIEW_ANSWERS)
    assert submissions_per_week(weeks=1)[-1].count == 2


@pytest.mark.django_db
def test_erased_submissions_are_not_waiting_in_the_ageing_or_the_oldest_list(case):
    from django.utils import timezone

    from caseapp.selectors.overview import oldest_open, open_ageing
    from caseapp.services.privacy import submission_erase_personal_data

    gone, waiting = make_submission(), make_submission()
    submission_erase_personal_data(submission=gone, actor=None, category="person_asked")
    Submission.objects.filter(pk=gone.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=90))
    assert [row.pk for row in oldest_open()] == [waiting.pk]
    assert sum(bucket.count for bucket in open_ageing()) == 1
    assert open_ageing()[-1].count == 0  # the 61+ days bucket would have held the erased one


@pytest.mark.django_db
def test_an_ageing_bucket_stops_counting_at_its_bound_and_says_more(case):
    from django.utils import timezone

    from caseapp.selectors.overview import open_ageing

    now = timezone.now()
    for days in (1, 1, 1, 5, 5, 100):
        Submission.objects.filter(pk=make_submission().pk).update(
            created_at=now - datetime.timedelta(days=days))
    buckets = open_ageing(now=now, limit=2)
    assert [(b.first_day, b.count, b.more) for b in buckets] == [
        (0, 2, True), (3, 2, False), (8, 0, False), (15, 0, False), (31, 0, False),
        (61, 1, False)]


def _plan(sql: str) -> str:
    """The database's plan for ``sql``; on PostgreSQL with sequential scans priced out, as a
    million rows would (a test table is small enough that a scan is rightly cheaper)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}")
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(row[-1] for row in cursor.fetchall())


@pytest.mark.django_db
def test_the_open_work_queries_read_the_open_work_index(case):
    """Issue 18: the ageing counts and the oldest rows read the partial index of open work.
    0018 built it for three open statuses; the rule has four since "information received",
    so no query could use it and at a million rows a bucket took a sequential scan (up to
    380 ms). The index's condition is now the rule's own set (migration 0021)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from caseapp.selectors.overview import oldest_open, open_ageing

    if connection.vendor != "postgresql":
        pytest.skip("SQLite plans a table of three rows without statistics; PostgreSQL's "
                    "plan with sequential scans priced out is the one that says")
    for _ in range(3):
        make_submission()
    with CaptureQueriesContext(connection) as captured:
        open_ageing()
        oldest_open()
    ageing, oldest = [query["sql"] for query in captured.captured_queries]
    # One statement for the six bounded counts, each of them reading the index; one list.
    assert _plan(ageing).count("sub_open_received") == 6, _plan(ageing)
    assert "sub_open_received" in _plan(oldest), oldest
