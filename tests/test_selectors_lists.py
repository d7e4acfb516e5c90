"""caseapp.selectors.lists: long lists read fast."""

from __future__ import annotations

import pytest
from django.utils import timezone

from caseapp.models import Submission
from caseapp.selectors.lists import count_bounded, keyset_page
from tests.factories import make_submission


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
