"""Staff reads: search, the time-limit flag, keyset pages, bounded counts, overview figures."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from caseapp.models import Case, DailyCount, Submission
from caseapp.review_rules import exposure_estimate
from caseapp.selectors.case_record import sca_flag_from
from caseapp.selectors.lists import count_bounded, keyset_page
from caseapp.selectors.overview import overview_counts, submissions_per_week
from caseapp.selectors.queue import submission_search
from caseapp.selectors.staff_accounts import staff_reviewers
from tests.factories import NEEDS_REVIEW_ANSWERS, make_submission


@pytest.mark.parametrize(("text", "kind"), [
    ("LI-2345-6789", "reference"),
    ("li23456789", "reference"),
    (" li-2345 6789 ", "reference"),
    ("LI-2345-678", "name"),  # too short to be a reference
    ("LI-0000-0000", "name"),  # 0 is not in the alphabet
    ("someone@example.com", "email"),
    ("Ada Lovelace", "name"),
])
def test_search_kind_follows_what_was_typed(text, kind, settings):
    assert submission_search(text=text).kind == kind


def test_empty_search_is_no_search():
    assert submission_search(text="   ") is None


@pytest.mark.parametrize(("reference_date", "first_flagged"), [
    (datetime.date(2024, 9, 18), datetime.date(2026, 9, 19)),
    (datetime.date(2024, 2, 29), datetime.date(2026, 3, 1)),
])
def test_sca_flag_starts_the_day_after_two_years(reference_date, first_flagged):
    case = Case(sca_reference_date=reference_date)
    start = sca_flag_from(case=case)
    assert timezone.localtime(start).date() == first_flagged
    assert timezone.localtime(start).time() == datetime.time.min


@pytest.mark.django_db
@pytest.mark.parametrize("sort_field", ["created_at", "state", "reference", "review_status"])
@pytest.mark.parametrize("descending", [True, False])
def test_keyset_pages_cover_every_row_once_in_order(case, sort_field, descending):
    made = [make_submission(state=state) for state in ["CA", "NY", "CA", "TX", "NY", "CA", "AL"]]
    now = timezone.now()
    # Ties on created_at too: the id must break them.
    Submission.objects.filter(pk__in=[s.pk for s in made[:3]]).update(created_at=now)
    order = [f"-{f}" if descending else f for f in (sort_field, "created_at", "id")]
    expected = list(Submission.objects.order_by(*order).values_list("reference", flat=True))
    seen, cursor, pages = [], "", []
    while True:
        page = keyset_page(Submission.objects.all(), sort_field=sort_field,
                           descending=descending, per_page=2, after=cursor)
        pages.append(page)
        seen += [s.reference for s in page.rows]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == expected
    assert pages[0].previous_cursor is None
    # Walking back from the last page gives the pages in reverse.
    back = keyset_page(Submission.objects.all(), sort_field=sort_field,
                       descending=descending, per_page=2,
                       before=pages[-1].previous_cursor)
    assert [s.reference for s in back.rows] == [s.reference for s in pages[-2].rows]


@pytest.mark.django_db
def test_count_bounded_stops_counting(case):
    for _ in range(4):
        make_submission()
    assert count_bounded(Submission.objects.all(), limit=3) == (3, True)
    assert count_bounded(Submission.objects.all(), limit=4) == (4, False)


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
def test_staff_reviewers_are_the_people_who_may_review(case):
    from tests.staff_users import make_staff

    make_staff("rita", "Reviewer")
    make_staff("sam", "Supervisor")
    make_staff("root", is_superuser=True)
    make_staff("nobody")
    make_staff("gone", "Reviewer", is_active=False)
    from django.contrib.auth.models import Group, Permission

    direct = make_staff("dana")  # granted the permission directly, not through a group
    direct.user_permissions.add(Permission.objects.get(codename="review_submission"))
    viewers = Group.objects.create(name="Viewers only")
    viewers.permissions.add(Permission.objects.get(codename="view_submission"))
    make_staff("vic").groups.add(viewers)
    names = [u.username for u in staff_reviewers()]
    assert names == ["dana", "rita", "root", "sam"]


@pytest.mark.parametrize(("zone", "utc", "local"), [
    ("America/Los_Angeles", "2026-11-25T22:44:22Z", "2026-11-25T14:44:22-08:00"),
    ("America/Los_Angeles", "2026-07-01T06:59:59Z", "2026-06-30T23:59:59-07:00"),
    # Daylight time ends on 2026-11-01 at 09:00 UTC: either side of the change.
    ("America/Los_Angeles", "2026-11-01T08:59:59Z", "2026-11-01T01:59:59-07:00"),
    ("America/Los_Angeles", "2026-11-01T09:00:00Z", "2026-11-01T01:00:00-08:00"),
    ("Asia/Kolkata", "2026-11-25T22:44:22Z", "2026-11-26T04:14:22+05:30"),
    ("UTC", "2026-11-25T22:44:22Z", "2026-11-25T22:44:22+00:00"),
])
def test_firm_time_writes_the_firms_local_time_with_its_offset(zone, utc, local):
    import zoneinfo

    from caseapp.selectors.export import FirmTime

    firm_time = FirmTime(zoneinfo.ZoneInfo(zone))
    assert firm_time(utc) == local
    assert firm_time(utc) == local  # and again, from the cache
