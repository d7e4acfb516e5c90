"""caseapp.views.staff.queue: the queue: filters, sorting, keyset pages, bulk actions."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from caseapp import eligibility
from caseapp.models import AuditEvent, ReviewEvent, Submission
from caseapp.selectors import lists
from caseapp.selectors.lists import count_bounded, keyset_page
from tests.factories import NEEDS_REVIEW_ANSWERS, make_submission
from tests.staff_pages import OUT_OF_RANGE, _make_many, queue, sign_in
from tests.staff_users import make_staff

pytestmark = pytest.mark.django_db


def refs(response) -> list[str]:
    return [row.reference for row in response.context["page"].rows]


def test_queue_lists_newest_first_with_its_columns(reviewer_client, case):
    first = make_submission(full_name="Ada Lovelace")
    second = make_submission(full_name="Grace Hopper", state="NY")
    response = queue(reviewer_client)
    assert refs(response) == [second.reference, first.reference]
    html = response.content.decode()
    for text in ("Reference", "Received", "Name", "State", "Automatic outcome",
                 "Review status", "Assignee", "Duplicate", "Grace Hopper", "NY"):
        assert text in html
    assert "2 submissions match." in html


@pytest.mark.parametrize(("params", "expected"), [
    ({"outcome": "needs_review"}, {"b"}),
    ({"review_status": "accepted"}, {"c"}),
    ({"assignee": "me"}, {"a"}),
    ({"assignee": "none"}, {"b", "c"}),
    ({"state": "NY"}, {"b"}),
    ({"country": "US"}, {"a", "b", "c"}),
    ({"country": "OTHER"}, set()),
    ({"duplicate": "yes"}, {"a", "c"}),
    ({"duplicate": "no"}, {"b"}),
    ({"rules_version": eligibility.RULES_VERSION}, {"a", "b", "c"}),
    ({"rules_version": "1999-01-01.1"}, set()),
    ({"outcome": "eligible", "duplicate": "yes", "review_status": "accepted"}, {"c"}),
])
def test_queue_filters_combine(reviewer_client, reviewer, case, params, expected):
    made = {
        "a": make_submission(email="same@example.com"),
        "b": make_submission(answers=NEEDS_REVIEW_ANSWERS, state="NY"),
        "c": make_submission(email="SAME@example.com "),
    }
    Submission.objects.filter(pk=made["a"].pk).update(assignee=reviewer)
    Submission.objects.filter(pk=made["c"].pk).update(review_status="accepted")
    names = {s.reference: key for key, s in made.items()}
    assert {names[r] for r in refs(queue(reviewer_client, **params))} == expected


def test_queue_filters_by_received_dates_and_time_limit_flag(reviewer_client, case):
    old, new = make_submission(), make_submission()
    Submission.objects.filter(pk=old.pk).update(
        created_at=timezone.make_aware(datetime.datetime(2026, 9, 1, 12)))
    Submission.objects.filter(pk=new.pk).update(
        created_at=timezone.make_aware(datetime.datetime(2026, 9, 19, 12)))
    assert refs(queue(reviewer_client, received_from="2026-09-02")) == [new.reference]
    assert refs(queue(reviewer_client, received_to="2026-09-01")) == [old.reference]
    # 2024-09-18 + two years: from 2026-09-19 a submission is flagged for a time-limit review.
    assert refs(queue(reviewer_client, time_limit="flagged")) == [new.reference]


def test_queue_search_finds_reference_email_name_and_words_of_a_name(reviewer_client, case):
    target = make_submission(full_name="Ada  Lovelace", email="Ada@Example.com")
    make_submission(full_name="Ada Byron")
    compact = target.reference.replace("-", "").lower()
    for text in (target.reference, compact, " ada@example.COM ", "ada lovelace"):
        assert refs(queue(reviewer_client, q=text)) == [target.reference], text
    assert refs(queue(reviewer_client, q="Lovelace")) == [target.reference]
    assert refs(queue(reviewer_client, q="Love")) == []  # whole words only


def test_queue_search_is_audited_without_the_searched_text(reviewer_client, case):
    make_submission(email="private.person@example.com")
    queue(reviewer_client, q="private.person@example.com")
    queue(reviewer_client, q="Private Person")
    events = AuditEvent.objects.filter(action="submission.search").order_by("id")
    assert [e.details for e in events] == [{"kind": "email"}, {"kind": "name"}]
    assert "private" not in str(list(AuditEvent.objects.values_list("details", "target")))


def test_queue_sorts_by_a_column_in_both_directions(reviewer_client, case):
    made = [make_submission(state=state) for state in ("NY", "AL", "TX")]
    by_state = sorted(made, key=lambda s: s.state)
    assert refs(queue(reviewer_client, sort="state")) == [s.reference for s in by_state]
    assert refs(queue(reviewer_client, sort="-state")) == [s.reference for s in by_state[::-1]]
    html = queue(reviewer_client, sort="state").content.decode()
    assert 'aria-sort="ascending"' in html


def test_queue_pages_forward_and_back_by_keyset(reviewer_client, case):
    made = [make_submission() for _ in range(7)]
    newest_first = [s.reference for s in reversed(made)]
    page1 = queue(reviewer_client, per_page=25)
    assert refs(page1) == newest_first
    # 25 is the smallest choice; shrink the page through the selector for a fast test.
    page = keyset_page(Submission.objects.all(), sort_field="created_at",
                       descending=True, per_page=3)
    seen = [s.reference for s in page.rows]
    while page.next_cursor:
        page = keyset_page(Submission.objects.all(), sort_field="created_at",
                           descending=True, per_page=3, after=page.next_cursor)
        seen += [s.reference for s in page.rows]
    assert seen == newest_first
    back = keyset_page(Submission.objects.all(), sort_field="created_at",
                       descending=True, per_page=3, before=page.previous_cursor)
    assert [s.reference for s in back.rows] == newest_first[3:6]


def test_queue_next_link_opens_the_next_page(reviewer_client, case):
    made = [make_submission() for _ in range(27)]
    first = queue(reviewer_client)
    assert len(refs(first)) == 25
    cursor = first.context["page"].next_cursor
    second = queue(reviewer_client, after=cursor)
    assert refs(second) == [made[1].reference, made[0].reference]
    assert second.context["page"].next_cursor is None
    assert f"after={cursor}" in first.content.decode()


def test_queue_ignores_a_tampered_cursor(reviewer_client, case):
    make_submission()
    for cursor in ("not-base64!", "W10", "WyJ4IiwgMSwgMl0"):
        assert len(refs(queue(reviewer_client, after=cursor))) == 1


def test_queue_count_stops_at_its_bound(reviewer_client, case, monkeypatch):
    for _ in range(26):  # more than a page, so the page alone cannot tell the count
        make_submission()
    monkeypatch.setattr(lists, "COUNT_LIMIT", 2)
    monkeypatch.setattr(count_bounded, "__kwdefaults__", {"limit": 2})
    response = queue(reviewer_client)
    assert "More than 2 submissions match." in response.content.decode()


def test_a_result_that_fits_one_page_is_counted_without_a_count_query(
        reviewer_client, case, django_assert_max_num_queries):
    for _ in range(3):
        make_submission(state="TX")
    make_submission(state="CA")
    with django_assert_max_num_queries(12) as captured:
        html = queue(reviewer_client, state="TX").content.decode()
    assert "3 submissions match." in html
    assert not any("COUNT(" in q["sql"] for q in captured.captured_queries)


def test_queue_htmx_request_gets_only_the_results(reviewer_client, case):
    make_submission()
    response = reviewer_client.get(reverse("staff:queue"), {"outcome": "eligible"},
                                   headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and 'id="queue-filters"' not in html
    assert "<table" in html
    assert response["Vary"].count("HX-Request") == 1


def test_queue_links_work_without_javascript(reviewer_client, case):
    make_submission()
    html = queue(reviewer_client, outcome="eligible").content.decode()
    assert 'method="get"' in html and 'action="/staff/submissions/"' in html
    assert 'type="submit"' in html and "Filter" in html
    # every hx-get also has an href
    assert html.count("hx-get=") - 1 == html.count('class="sort-link" href=') + html.count(
        'class="page-link"')


def test_queue_shows_a_bad_filter_and_applies_the_rest(reviewer_client, case):
    make_submission()
    response = queue(reviewer_client, received_from="not-a-date", outcome="eligible")
    assert len(refs(response)) == 1
    assert "Some filters were not understood" in response.content.decode()


def test_supervisor_bulk_assigns_and_sets_status(supervisor_client, supervisor, case):
    made = [make_submission() for _ in range(3)]
    references = [s.reference for s in made[:2]]
    next_url = reverse("staff:queue") + "?outcome=eligible"
    response = supervisor_client.post(reverse("staff:bulk"), {
        "references": references, "action": "assign", "assignee": str(supervisor.pk),
        "next": next_url,
    })
    assert response["Location"] == next_url
    assert Submission.objects.filter(assignee=supervisor).count() == 2
    # Assigning the two new ones started their review; the third is moved by the bulk action.
    response = supervisor_client.post(reverse("staff:bulk"), {
        "references": [s.reference for s in made], "action": "status",
        "review_status": "in_review",
    }, follow=True)
    assert set(Submission.objects.values_list("review_status", flat=True)) == {"in_review"}
    html = response.content.decode()
    assert f"1 submission changed: {made[2].reference}." in html
    assert (f"2 left as they were ({', '.join(sorted(references))}): It already has that "
            "status.") in html
    response = supervisor_client.post(reverse("staff:bulk"), {
        "references": [made[0].reference], "action": "status", "review_status": "accepted",
    }, follow=True)
    assert f"1 submission changed: {made[0].reference}." in response.content.decode()
    assert ReviewEvent.objects.filter(kind="assign").count() == 2
    assert ReviewEvent.objects.filter(kind="status").count() == 4
    event = AuditEvent.objects.filter(action="submission.bulk_update").order_by("id")[1]
    assert event.details["updated"] == 1 and event.details["action"] == "status"


def test_bulk_refuses_an_outside_next_url_and_empty_selection(supervisor_client, case):
    response = supervisor_client.post(reverse("staff:bulk"), {
        "action": "assign", "assignee": "none", "next": "https://evil.example/",
    }, follow=True)
    assert response.redirect_chain[0][0] == reverse("staff:queue")
    assert "Select at least one submission." in response.content.decode()


@pytest.mark.parametrize("rows", [3, 30])
def test_queue_query_count_does_not_grow_with_rows(reviewer_client, reviewer, case, rows,
                                                   django_assert_max_num_queries):
    _make_many(rows, reviewer)
    # 10, the reviewer's saved views, and the second factor checked on every request (issue 12)
    with django_assert_max_num_queries(12):
        response = queue(reviewer_client, q="same0@example.com", sort="state")
    assert response.status_code == 200


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("field", ["received_from", "received_to"])
def test_a_queue_date_out_of_range_gets_a_message_not_a_500(supervisor_client, case, field,
                                                            value):
    make_submission()
    page = supervisor_client.get(reverse("staff:queue"), {field: value})
    assert page.status_code == 200
    assert "Enter a date between 1 January 2000 and 31 December 2100" in page.content.decode()
    fragment = supervisor_client.get(reverse("staff:queue"), {field: value},
                                     HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200


def test_a_group_change_ends_the_users_sessions(client, case, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import Group
    from django.test import Client

    user = make_staff("rita", "Reviewer")
    other = make_staff("olga", "Reviewer")
    sign_in(client, "rita")
    bystander = Client()
    sign_in(bystander, "olga")
    with django_capture_on_commit_callbacks(execute=True):
        user.groups.add(Group.objects.get(name="Supervisor"))
    assert client.get("/staff/submissions/")["Location"].startswith("/staff/login/")
    assert bystander.get("/staff/submissions/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        Group.objects.get(name="Reviewer").user_set.remove(other)
    assert bystander.get("/staff/submissions/")["Location"].startswith("/staff/login/")


def test_the_time_limit_flag_counts_from_the_discovery_answer(reviewer_client, case):
    import datetime

    from django.utils import timezone

    from tests.factories import ELIGIBLE_ANSWERS

    late = timezone.make_aware(datetime.datetime(2026, 10, 1, 12))
    unknown = make_submission(answers={**ELIGIBLE_ANSWERS, "discovered": "dont_remember"})
    found_late = make_submission(answers={**ELIGIBLE_ANSWERS,
                                          "discovered": "2025_01_21_or_later"})
    early = make_submission(answers={**ELIGIBLE_ANSWERS, "discovered": "before_2024_09_18"})
    never_asked = make_submission(answers={k: v for k, v in ELIGIBLE_ANSWERS.items()
                                           if k != "discovered"})
    Submission.objects.update(created_at=late)
    flagged = refs(queue(reviewer_client, time_limit="flagged"))
    assert sorted(flagged) == sorted([unknown.reference, early.reference,
                                      never_asked.reference])
    assert found_late.reference not in flagged


def test_a_registration_withdrawn_while_open_leaves_my_open_items(reviewer_client, reviewer,
                                                                  case):
    """Walked as a reviewer: a registration withdrawn at /manage/ while it was the reviewer's
    ("Information received") stayed in "My open items" for good, with nobody left to decide
    about, while the overview's open work had already left it out."""
    from caseapp.selectors.overview import open_ageing
    from caseapp.services.registrant import submission_withdraw

    kept, withdrawn = make_submission(), make_submission()
    Submission.objects.filter(pk__in=[kept.pk, withdrawn.pk]).update(
        assignee=reviewer, review_status="info_received")
    submission_withdraw(submission=Submission.objects.get(pk=withdrawn.pk))
    assert refs(queue(reviewer_client, review_status="open", assignee="me")) == [
        kept.reference]
    assert sum(bucket.count for bucket in open_ageing()) == 1  # the overview agrees
    # Still found under its own status, and in the whole list, for the counts.
    assert withdrawn.reference in refs(queue(reviewer_client, review_status="info_received"))
    assert withdrawn.reference in refs(queue(reviewer_client))
