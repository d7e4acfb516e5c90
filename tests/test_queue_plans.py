"""The staff queue's SQL is answered by an index for every filter and sort, on both databases.

Each case runs the queue exactly as the view does (keyset page and bounded count), captures the
SQL, and asks the database for its plan: SQLite's EXPLAIN QUERY PLAN, or PostgreSQL's EXPLAIN
with sequential scans and sorts priced out (a test table is small enough that PostgreSQL would
rightly prefer them; at a million rows an index must offer both the rows and their order).
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caseapp.models import Submission
from caseapp.selectors.lists import count_bounded, keyset_page
from caseapp.selectors.queue import (
    QUEUE_SORTS,
    submission_queue,
    submission_queue_rows,
    submission_search,
)
from tests.factories import NEEDS_REVIEW_ANSWERS, make_submission
from tests.staff_users import make_staff

pytestmark = pytest.mark.django_db


def _plan(sql: str, *, ordered: bool = False) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            # At size, sorting every matching row to show 25 is what an ordered index avoids;
            # a dozen rows sort for free, so price sorting out as a million rows would.
            for setting in ("enable_sort", "enable_incremental_sort"):
                cursor.execute(f"SET LOCAL {setting} = {'off' if ordered else 'on'}")
            cursor.execute(f"EXPLAIN {sql}")
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(row[-1] for row in cursor.fetchall())


def _queue_sql(*, filters: dict, sort: str, user, case) -> tuple[str, str]:
    """The page query and the count query the queue view runs for these filters."""
    filters = {"search": None, **filters}
    qs = submission_queue(filters=filters, user=user, case=case)
    field = QUEUE_SORTS[sort.lstrip("-")]
    with CaptureQueriesContext(connection) as captured:
        keyset_page(submission_queue_rows(qs), sort_field=field,
                    descending=sort.startswith("-"), per_page=25)
        count_bounded(qs)
    page_sql, count_sql = (query["sql"] for query in captured.captured_queries)
    return page_sql, count_sql


@pytest.fixture
def queue_rows(case):
    reviewer = make_staff("plan-reviewer", "Reviewer")
    for i in range(12):
        submission = make_submission(
            state=["CA", "TX", "NY"][i % 3],
            answers=NEEDS_REVIEW_ANSWERS if i % 2 else None,
        )
        if i % 4 == 0:
            Submission.objects.filter(pk=submission.pk).update(
                assignee=reviewer, review_status="in_review", possible_duplicate=True)
    if connection.vendor == "postgresql":
        # Statistics of a dozen rows would make SQLite plan for a dozen rows; PostgreSQL
        # needs them to know the table at all.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE caseapp_submission")
    return reviewer


EMAIL_SEARCH = object()

CASES = [
    # (filters, sort, index the page query must use)
    ({}, "-received", "sub_received"),
    ({}, "received", "sub_received"),
    ({"outcome": "needs_review"}, "-received", "sub_outcome"),
    ({"review_status": "in_review"}, "-received", "sub_review_status"),
    ({"state": "CA"}, "-received", "sub_state"),
    ({"assignee": "me"}, "-received", "sub_assignee"),
    ({"state": "TX", "review_status": "in_review"}, "-received", "sub_state_status"),
    # Most rows match these: walking the received-order index and skipping the few that do
    # not is as good as the filter's own index, and the planner may choose either.
    ({"assignee": "none"}, "-received", ("sub_assignee", "sub_received")),
    ({"duplicate": "yes"}, "-received", "sub_possible_duplicate"),
    ({"duplicate": "no"}, "-received", ("sub_possible_duplicate", "sub_received")),
    ({"received_from": datetime.date(2026, 1, 1)}, "-received", "sub_received"),
    ({"time_limit": "flagged"}, "-received", "sub_received"),
    ({}, "state", "sub_state"),
    ({}, "-outcome", "sub_outcome"),
    ({}, "review_status", "sub_review_status"),
    ({"review_status": "in_review"}, "review_status", "sub_review_status"),
    ({"search": "reference"}, "-received", "reference"),
    ({"search": EMAIL_SEARCH}, "-received", "email_index"),
]


def _ids(value):
    filters, sort, _index = value if isinstance(value, tuple) else (value, "", "")
    return "-".join([*(f"{k}={'email' if v is EMAIL_SEARCH else v}"
                       for k, v in filters.items()), sort]) or "none"


@pytest.mark.parametrize(("filters", "sort", "index"), CASES,
                         ids=[_ids(c) for c in CASES])
def test_queue_page_and_count_use_an_index(queue_rows, case, filters, sort, index):
    filters = dict(filters)
    if filters.get("search") == "reference":
        reference = Submission.objects.order_by("id").first().reference
        filters["search"] = submission_search(text=reference)
    elif filters.get("search") is EMAIL_SEARCH:
        filters["search"] = submission_search(text="person1@example.com")
    page_sql, count_sql = _queue_sql(filters=filters, sort=sort, user=queue_rows, case=case)

    page_plan = _plan(page_sql, ordered=filters.get("search") is None)
    indexes = index if isinstance(index, tuple) else (index,)
    assert any(name in page_plan for name in indexes), page_plan
    if connection.vendor == "postgresql":
        assert "Seq Scan on caseapp_submission" not in page_plan, page_plan
        if filters.get("search") is None:
            # The index gives the order: the first page stops after 26 rows, sorting none.
            assert "Sort" not in page_plan, page_plan
        assert "Seq Scan on caseapp_submission" not in _plan(count_sql)
    else:
        lines = page_plan.splitlines()
        assert not any(line.startswith("SCAN caseapp_submission") and "INDEX" not in line
                       for line in lines), page_plan
        if filters.get("search") is None:
            assert "USE TEMP B-TREE FOR ORDER BY" not in page_plan, page_plan
        count_plan = _plan(count_sql)
        assert not any(line.startswith("SCAN caseapp_submission") and "INDEX" not in line
                       for line in count_plan.splitlines()), count_plan


def test_counting_one_states_people_in_one_status_reads_only_the_matches(queue_rows, case):
    """The bounded count of a state and status pair comes from their joint index, whatever the
    page's sort: with either index alone it read every row of the state or of the status."""
    _page_sql, count_sql = _queue_sql(filters={"state": "TX", "review_status": "in_review"},
                                      sort="reference", user=queue_rows, case=case)
    plan = _plan(count_sql)
    if connection.vendor == "postgresql":
        # Index only or bitmap, as the visibility map allows: either way, only the matches.
        assert "on sub_state_status" in plan or "using sub_state_status" in plan, plan
    else:
        assert "USING COVERING INDEX sub_state_status" in plan, plan
