"""The staff workspace's pages and actions, through Django's test client and a real database."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import URLPattern, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseapp import eligibility, urls_staff
from caseapp.models import AuditEvent, Case, ReviewEvent, Submission
from caseapp.selectors import lists
from caseapp.selectors.audit import AUDIT_ACTIONS
from caseapp.selectors.case_record import sca_flag_from
from caseapp.selectors.export import EXPORT_COLUMNS, spreadsheet_safe
from caseapp.selectors.lists import count_bounded, keyset_page
from tests.factories import NEEDS_REVIEW_ANSWERS, case_form_data, make_submission
from tests.staff_users import PASSWORD, make_staff

pytestmark = pytest.mark.django_db

#: The only staff URLs anyone may open: signing in and out.
OPEN_URLS = {"login", "logout"}
SUPERVISOR_ONLY = {"export", "bulk", "case", "audit", "erase", "message_templates", "updates",
                   "update_new", "update", "update_action"}


@pytest.fixture
def reviewer(db):
    return make_staff("rita", "Reviewer")


@pytest.fixture
def supervisor(db):
    return make_staff("sam", "Supervisor")


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def supervisor_client(client, supervisor):
    client.force_login(supervisor)
    return client


def staff_urls(reference: str = "LI-2345-6789", **ids: int):
    """Every pattern in the staff URL conf, with its name, URL and view; ids other than the
    reference (``update_id``, ``message_id``, ``view_id``) default to 1."""
    values = {"reference": reference, "update_id": 1, "message_id": 1, "view_id": 1, **ids}
    for pattern in urls_staff.urlpatterns:
        assert isinstance(pattern, URLPattern)
        kwargs = {name: values[name] for name in pattern.pattern.converters}
        yield pattern.name, reverse(f"staff:{pattern.name}", kwargs=kwargs), pattern.callback


def audit_actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


# --- permissions --------------------------------------------------------------------------

def test_every_staff_view_declares_its_permission():
    for name, _url, view in staff_urls():
        if name in OPEN_URLS:
            continue
        assert getattr(view, "staff_permission", "").startswith("caseapp."), name


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_sign_in_from_every_staff_url(client, case, method):
    reference = make_submission().reference
    for name, url, _view in staff_urls(reference):
        if name in OPEN_URLS:
            continue
        response = getattr(client, method)(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("staff:login") + "?next="), name


@pytest.mark.parametrize("method", ["get", "post"])
def test_signed_in_users_without_permission_are_refused_everywhere(client, case, method):
    client.force_login(make_staff("nobody"))
    reference = make_submission().reference
    for name, url, _view in staff_urls(reference):
        if name in OPEN_URLS:
            continue
        response = getattr(client, method)(url)
        assert response.status_code == 403, name
        assert b"You do not have access to this page" in response.content
    assert Submission.objects.get(reference=reference).version == 1


def test_reviewers_are_refused_the_supervisor_pages(reviewer_client, case):
    reference = make_submission().reference
    for name, url, _view in staff_urls(reference):
        if name in SUPERVISOR_ONLY:
            assert reviewer_client.get(url).status_code == 403, name
            assert reviewer_client.post(url).status_code == 403, name


def test_supervisors_and_superusers_open_every_page(client, supervisor, case):
    from caseapp.models import CaseUpdate

    reference = make_submission().reference
    update = CaseUpdate.objects.create(subject="s", body="b", subject_es="s", body_es="b")
    for user in (supervisor, make_staff("root", is_superuser=True)):
        client.force_login(user)
        for name, url, _view in staff_urls(reference, update_id=update.pk):
            if name in OPEN_URLS or url.endswith(("/review/", "/assign/", "/notes/",
                                                   "/duplicate/", "/bulk/", "/erase/",
                                                   "/decide/", "/claim/", "/views/",
                                                   "/delete/", "/resend/", "/actions/")):
                continue
            # No device: nothing to verify, and backup codes need one first; "Start
            # reviewing" opens the first submission.
            expected = 302 if name in ("otp_verify", "otp_backup_codes", "queue_start") else 200
            assert client.get(url).status_code == expected, name


def test_staff_pages_are_not_cached_or_indexed(reviewer_client, case):
    reference = make_submission().reference
    response = reviewer_client.get(reverse("staff:submission", args=[reference]))
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert b'<meta name="robots" content="noindex, nofollow">' in response.content


# --- signing in and out ------------------------------------------------------------------

def test_sign_in_page_and_successful_sign_in_are_audited(client, reviewer):
    assert client.get(reverse("staff:login")).status_code == 200
    response = client.post(reverse("staff:login"),
                           {"username": "rita", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:overview")
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor == reviewer
    assert event.ip_address == "127.0.0.1"


def test_failed_sign_in_is_audited_without_the_text_typed(client, reviewer):
    client.post(reverse("staff:login"), {"username": "my-secret-password", "password": "x"})
    client.post(reverse("staff:login"), {"username": "rita", "password": "wrong"})
    unknown, known = AuditEvent.objects.filter(action="auth.login_failed").order_by("id")
    assert unknown.details == {"account": "unknown"}
    assert "my-secret-password" not in str(unknown.details) + unknown.target
    assert known.target == "rita"


def test_sign_out_is_a_post_and_is_audited(reviewer_client, reviewer):
    assert reviewer_client.get(reverse("staff:logout")).status_code == 405
    response = reviewer_client.post(reverse("staff:logout"))
    assert response["Location"] == reverse("staff:login")
    assert AuditEvent.objects.get(action="auth.logout").actor == reviewer


def test_sign_in_page_redirects_who_is_signed_in(reviewer_client):
    response = reviewer_client.get(reverse("staff:login"))
    assert response["Location"] == reverse("staff:overview")


# --- overview -----------------------------------------------------------------------------

def test_overview_counts_outcomes_statuses_funnel_and_exposure(reviewer_client, case):
    make_submission()
    accepted = make_submission()
    Submission.objects.filter(pk=accepted.pk).update(review_status="accepted")
    make_submission(answers=NEEDS_REVIEW_ANSWERS)
    make_submission(answers=NEEDS_REVIEW_ANSWERS)
    response = reviewer_client.get(reverse("staff:overview"))
    counts = response.context["counts"]
    assert counts["total"] == 4
    assert dict((v, n) for v, _label, n in counts["by_outcome"])["needs_review"] == 2
    assert dict((v, n) for v, _label, n in counts["by_status"])["accepted"] == 1
    assert response.context["exposure"] == {"per_person": 1000, "low": 1000, "high": 3000}
    assert dict((v, n) for v, _l, n in response.context["funnel"])["registered"] == 4
    html = response.content.decode()
    assert "$1,000" in html and "$3,000" in html
    assert "2707(c)" in html and "not a promise" in html
    assert "<svg" in html and html.count('class="chart-bar"') == 26


def test_overview_chart_puts_registrations_in_their_week(reviewer_client, case):
    from caseapp.models import DailyCount

    make_submission()  # counted today, in the registration's own transaction
    DailyCount.objects.create(day=timezone.localdate() - datetime.timedelta(weeks=3),
                              metric="registered", count=5)
    weeks = reviewer_client.get(reverse("staff:overview")).context["weeks"]
    assert [w.count for w in weeks][-4:] == [5, 0, 0, 1]
    assert sum(w.count for w in weeks) == 6


# --- the queue ----------------------------------------------------------------------------

def queue(client, **params):
    return client.get(reverse("staff:queue"), params)


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


# --- bulk actions -------------------------------------------------------------------------

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


# --- one submission -----------------------------------------------------------------------

def detail(client, submission):
    return client.get(reverse("staff:submission", args=[submission.reference]))


def test_submission_page_shows_everything_and_audits_the_view(reviewer_client, reviewer, case):
    submission = make_submission(full_name="Ada Lovelace", email="ada@example.com",
                                 phone="+1 415 555 0100", answers=NEEDS_REVIEW_ANSWERS)
    html = detail(reviewer_client, submission).content.decode()
    for q in eligibility.QUESTIONS:
        assert str(q.text).replace("'", "&#x27;") in html
    assert "You are not sure whether you used InMail" in html
    for text in ("Ada Lovelace", "ada@example.com", "+1 415 555 0100", "California",
                 submission.rules_version, submission.consent_version,
                 submission.attestation_version, "Needs review"):
        assert text in html
    event = AuditEvent.objects.get(action="submission.view")
    assert (event.actor, event.target) == (reviewer, submission.reference)


def test_submission_page_is_404_for_an_unknown_reference(reviewer_client, case):
    assert reviewer_client.get(reverse("staff:submission", args=["LI-2222-2222"])
                               ).status_code == 404


def test_submission_page_flags_the_sca_time_limit(reviewer_client, case):
    submission = make_submission()
    Submission.objects.filter(pk=submission.pk).update(
        created_at=timezone.make_aware(datetime.datetime(2026, 9, 19, 9)))
    assert "Time limit: check needed." in detail(reviewer_client, submission).content.decode()
    Case.objects.filter(pk=case.pk).update(sca_reference_date=datetime.date(2025, 1, 1))
    assert "Time limit" not in detail(reviewer_client, submission).content.decode()


def review(client, submission, **data):
    payload = {"review_status": submission.review_status, "outcome_override": "",
               "override_reason": "", "version": submission.version, **data}
    return client.post(reverse("staff:review", args=[submission.reference]), payload)


def test_review_moves_through_the_workflow_and_shows_the_timeline(reviewer_client, case):
    submission = make_submission()
    response = review(reviewer_client, submission, review_status="in_review")
    assert response.status_code == 302
    submission.refresh_from_db()
    assert (submission.review_status, submission.version) == ("in_review", 2)
    review(reviewer_client, submission, review_status="accepted")
    html = detail(reviewer_client, submission).content.decode()
    assert "Status changed" in html and "In review → Accepted" in html
    assert "submission.review" in audit_actions()


def test_review_refuses_a_jump_the_workflow_does_not_allow(reviewer_client, case):
    submission = make_submission()
    response = review(reviewer_client, submission, review_status="new")
    assert response.status_code == 302  # "new" to "new": nothing to do
    review(reviewer_client, submission, review_status="in_review")
    submission.refresh_from_db()
    response = review(reviewer_client, submission, review_status="new")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    submission.refresh_from_db()
    assert submission.review_status == "in_review"


def test_override_needs_a_written_reason(reviewer_client, case):
    submission = make_submission()
    response = review(reviewer_client, submission, outcome_override="not_eligible")
    assert "Write why you are changing the outcome" in response.content.decode()
    submission.refresh_from_db()
    assert submission.outcome_override == ""


def test_override_with_reason_is_saved_and_recorded(reviewer_client, reviewer, case):
    submission = make_submission()
    review(reviewer_client, submission, outcome_override="not_eligible",
           override_reason="Works at LinkedIn, confirmed by phone.")
    submission.refresh_from_db()
    assert submission.effective_outcome == "not_eligible"
    event = ReviewEvent.objects.get(submission=submission, kind="override")
    assert (event.actor, event.from_value, event.to_value) == (reviewer, "eligible",
                                                               "not_eligible")
    assert event.text == "Works at LinkedIn, confirmed by phone."
    submission.refresh_from_db()
    review(reviewer_client, submission, outcome_override="",
           override_reason="Back to the automatic outcome.")
    submission.refresh_from_db()
    assert submission.effective_outcome == "eligible"


def test_stale_review_gets_a_conflict_not_an_overwrite(reviewer_client, case):
    submission = make_submission()
    loaded_version = submission.version
    # Someone else saves first.
    review(reviewer_client, submission, review_status="in_review")
    response = review(reviewer_client, submission, review_status="in_review",
                      outcome_override="not_eligible", override_reason="My careful reason",
                      version=loaded_version)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed this submission while you were editing" in html
    assert "My careful reason" in html
    submission.refresh_from_db()
    assert (submission.outcome_override, submission.version) == ("", 2)
    assert f'name="version" value="{submission.version}"' in html


def test_assignment_and_stale_assignment(reviewer_client, reviewer, case):
    submission = make_submission()
    url = reverse("staff:assign", args=[submission.reference])
    assert reviewer_client.post(url, {"assignee": reviewer.pk, "version": 1}
                                ).status_code == 302
    submission.refresh_from_db()
    assert submission.assignee == reviewer
    response = reviewer_client.post(url, {"assignee": "", "version": 1})
    assert response.status_code == 409
    submission.refresh_from_db()
    assert submission.assignee == reviewer


def test_assignment_refuses_a_user_who_cannot_review(reviewer_client, case):
    submission = make_submission()
    outsider = make_staff("outsider")
    response = reviewer_client.post(reverse("staff:assign", args=[submission.reference]),
                                    {"assignee": outsider.pk, "version": 1})
    assert response.status_code == 200
    submission.refresh_from_db()
    assert submission.assignee is None


def test_notes_are_added_to_the_timeline(reviewer_client, reviewer, case):
    submission = make_submission()
    url = reverse("staff:note", args=[submission.reference])
    assert reviewer_client.post(url, {"text": "  "}).status_code == 200
    reviewer_client.post(url, {"text": "Called, left a message."})
    note = ReviewEvent.objects.get(kind="note")
    assert (note.actor, note.text) == (reviewer, "Called, left a message.")
    html = detail(reviewer_client, submission).content.decode()
    assert "Called, left a message." in html and "rita" in html
    assert "submission.note" in audit_actions()


def test_possible_duplicates_are_listed_and_can_be_marked(reviewer_client, case):
    original = make_submission(full_name="Ada Lovelace", email="ada@example.com")
    same_email = make_submission(full_name="Someone Else", email="  ADA@example.com")
    same_name = make_submission(full_name="ada   lovelace", email="other@example.com")
    other_state = make_submission(full_name="Ada Lovelace", email="x@example.com", state="NY")
    html = detail(reviewer_client, original).content.decode()
    assert same_email.reference in html and same_name.reference in html
    assert other_state.reference not in html
    for s in (original, same_email, same_name):
        s.refresh_from_db()
        assert s.possible_duplicate
    response = reviewer_client.post(reverse("staff:duplicate", args=[same_email.reference]),
                                    {"duplicate_of": original.reference, "version": 1})
    assert response.status_code == 302
    same_email.refresh_from_db()
    assert same_email.duplicate_of == original
    assert ReviewEvent.objects.filter(kind="duplicate", submission=same_email).exists()


def test_marking_a_duplicate_checks_the_reference(reviewer_client, case):
    submission = make_submission()
    url = reverse("staff:duplicate", args=[submission.reference])
    response = reviewer_client.post(url, {"duplicate_of": "LI-2222-2222", "version": 1})
    assert "No submission has the reference" in response.content.decode()
    response = reviewer_client.post(url, {"duplicate_of": submission.reference, "version": 1})
    assert "cannot be a duplicate of itself" in response.content.decode()


# --- export -------------------------------------------------------------------------------

def export_rows(client, **params) -> list[dict]:
    response = client.get(reverse("staff:export"), params)
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_export_streams_the_filtered_queue_with_answer_columns(supervisor_client, case):
    make_submission(full_name="Ada Lovelace")
    needs = make_submission(answers=NEEDS_REVIEW_ANSWERS)
    rows = export_rows(supervisor_client, outcome="needs_review")
    assert [row["reference"] for row in rows] == [needs.reference]
    header = list(rows[0])
    assert header[-len(eligibility.QUESTIONS) - 1:] == [
        *(q.key for q in eligibility.QUESTIONS), "override_reason"]
    assert rows[0]["inmail"] == "unsure" and rows[0]["country"] == "US"
    assert len(export_rows(supervisor_client)) == 2


def test_export_is_audited_with_filters_and_rows_but_no_search_text(supervisor_client, case):
    make_submission(email="who@example.com")
    export_rows(supervisor_client, q="who@example.com", outcome="eligible")
    event = AuditEvent.objects.get(action="submission.export")
    assert event.details == {"rows": 1, "filters": {"outcome": "eligible", "search": "email"}}
    assert "who@" not in str(event.details)


@pytest.mark.parametrize("dangerous", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)",
                                       "\tcmd", "\rcmd"])
def test_export_disarms_spreadsheet_formulas(supervisor_client, case, dangerous):
    make_submission(full_name=dangerous.strip() if dangerous[0] not in "\t\r" else "x",
                    phone=dangerous if dangerous[0] in "\t\r" else "")
    row = export_rows(supervisor_client)[0]
    cell = row["full_name"] if dangerous[0] not in "\t\r" else row["phone"]
    assert cell.startswith("'")
    assert cell[1:] == (dangerous.strip() if dangerous[0] not in "\t\r" else dangerous)


def _export_as_csv_module_writes_it(case) -> str:
    """The export's contract, restated plainly: model instances through csv.writer."""

    sca_from = sca_flag_from(case=case)
    out = io.StringIO()
    writer = csv.writer(out)
    keys = [q.key for q in eligibility.QUESTIONS]
    writer.writerow(EXPORT_COLUMNS + keys + ["override_reason"])
    firm = timezone.get_default_timezone()
    for s in Submission.objects.select_related("assignee", "duplicate_of").order_by(
            "-created_at", "-id"):
        writer.writerow([
            s.reference, s.created_at.astimezone(firm).isoformat(timespec="seconds"),
            *(spreadsheet_safe(v) for v in (s.full_name, s.email, s.phone)),
            s.state, s.language, s.outcome, s.outcome_override, s.effective_outcome,
            s.review_status, spreadsheet_safe(s.assignee.username if s.assignee else ""),
            "yes" if s.possible_duplicate else "no",
            s.duplicate_of.reference if s.duplicate_of else "",
            "yes" if s.created_at >= sca_from else "no", s.estimated_damages,
            s.rules_version, s.consent_version, s.attestation_version, s.notice_version,
            *(s.answers.get(key, "") for key in keys),
            spreadsheet_safe(s.override_reason),
        ])
    return out.getvalue()


typed_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                     max_size=40).map(str.strip)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.tuples(typed_text, typed_text, typed_text), min_size=1, max_size=3))
def test_export_is_byte_for_byte_what_the_csv_module_writes(supervisor_client, case, names):
    # The database writes most of each line; whatever people type, the file must be exactly
    # what Python's csv module would write for the same rows.
    Submission.objects.all().delete()
    for i, (name, email, phone) in enumerate(names):
        submission = make_submission(full_name=name or "x", email=email or f"{i}@example.com",
                                     phone=phone, answers=NEEDS_REVIEW_ANSWERS if i % 2 else None)
        if i:
            Submission.objects.filter(pk=submission.pk).update(
                duplicate_of=Submission.objects.order_by("id").first(), possible_duplicate=True,
                outcome_override="eligible", override_reason=name)
    response = supervisor_client.get(reverse("staff:export"))
    assert b"".join(response.streaming_content).decode() == _export_as_csv_module_writes_it(case)


def test_export_vocabularies_never_need_csv_quoting():
    # The database joins these (CsvJoin) and they go out unquoted: none may hold a comma,
    # quote or line break.
    from caseapp import wording
    from caseapp.models import OUTCOME_CHOICES, STATE_CHOICES

    vocabulary = [value for value, _label in OUTCOME_CHOICES + STATE_CHOICES]
    vocabulary += Submission.ReviewStatus.values + [code for code, _n in settings_languages()]
    vocabulary += [c.code for q in eligibility.QUESTIONS for c in q.choices]
    vocabulary += [eligibility.RULES_VERSION, wording.CONSENT_CONTACT.version,
                   wording.ATTESTATION.version, wording.PRIVACY_NOTICE.version]
    assert all(not set(value) & set(',"\r\n') for value in vocabulary), vocabulary


def settings_languages():
    from django.conf import settings as django_settings

    return django_settings.LANGUAGES


def test_export_times_are_the_firms_with_their_offset_and_the_time_limit_flag_follows_the_reference_date(  # noqa: E501
        supervisor_client, case):
    case.sca_reference_date = datetime.date(2024, 9, 18)
    case.save()
    inside, outside = make_submission(), make_submission()
    at = {inside: datetime.datetime(2026, 9, 17, 23, 59, 59, 999999, tzinfo=datetime.timezone.utc),
          outside: datetime.datetime(2026, 9, 19, 7, 5, 9, tzinfo=datetime.timezone.utc)}
    for submission, when in at.items():
        Submission.objects.filter(pk=submission.pk).update(created_at=when)
    rows = {row["reference"]: row for row in export_rows(supervisor_client)}
    # America/Los_Angeles, daylight time in September (winter time is checked in test_selectors).
    assert rows[inside.reference]["received_at"] == "2026-09-17T16:59:59-07:00"
    assert rows[outside.reference]["received_at"] == "2026-09-19T00:05:09-07:00"
    assert rows[inside.reference]["sca_time_limit_flag"] == "no"
    assert rows[outside.reference]["sca_time_limit_flag"] == "yes"


def test_export_disarms_a_username_that_looks_like_a_formula(supervisor_client, case):
    # Django usernames may start with @, + or -: staff type them, so they are disarmed too.
    from tests.staff_users import make_staff

    submission = make_submission()
    Submission.objects.filter(pk=submission.pk).update(
        assignee=make_staff("@SUM.reviewer", "Reviewer"))
    assert export_rows(supervisor_client)[0]["assignee"] == "'@SUM.reviewer"


def test_export_keeps_markup_as_plain_text(supervisor_client, case):
    make_submission(full_name='<script>alert("x")</script>, "quoted"')
    assert export_rows(supervisor_client)[0]["full_name"] == \
        '<script>alert("x")</script>, "quoted"'


# --- the case record ----------------------------------------------------------------------

def case_form(case, **changes):
    return case_form_data(case, **{"closed_on": "", **changes})


def test_supervisor_closes_registration_and_the_public_side_sees_it(supervisor_client, case):
    response = supervisor_client.post(reverse("staff:case"), case_form(
        case, registration_open="", registration_closed_message="Intake has ended.",
        firm_name="Example LLP", firm_email="intake@example.com",
        sca_reference_date="2024-10-01", status="closed"))
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.registration_open, case.registration_closed_message) == (
        False, "Intake has ended.")
    assert case.sca_reference_date == datetime.date(2024, 10, 1)
    event = AuditEvent.objects.get(action="case.update")
    assert event.details["changed"]["registration_open"] == ["True", "False"]


def test_closing_registration_needs_a_message(supervisor_client, case):
    response = supervisor_client.post(reverse("staff:case"),
                                      case_form(case, registration_open=""))
    assert response.status_code == 200
    assert "Write the message people see while registration is closed." in \
        response.content.decode()


def test_stale_case_record_save_is_refused(supervisor_client, case):
    stale = case_form(case, firm_name="Mine")
    supervisor_client.post(reverse("staff:case"), case_form(case, firm_name="Theirs"))
    response = supervisor_client.post(reverse("staff:case"), stale)
    assert response.status_code == 409
    assert "Someone else saved the case record" in response.content.decode()
    case.refresh_from_db()
    assert case.firm_name == "Theirs"
    assert 'value="Mine"' in response.content.decode()


@pytest.mark.parametrize("status", Case.Status.values)
def test_every_status_needs_its_wording_in_english_and_spanish(supervisor_client, case, status):
    for field in (f"status_text_{status}", f"status_text_{status}_es"):
        response = supervisor_client.post(reverse("staff:case"), case_form(case, **{field: " "}))
        assert response.status_code == 200, field
        assert "Write what the public pages say for this status" in response.content.decode()


def test_supervisor_edits_the_status_wording_and_the_firm(supervisor_client, case, client):
    response = supervisor_client.post(reverse("staff:case"), case_form(
        case, status="active", status_text_active="Active now; no class certified.",
        firm_name="Rivera & Cole LLP", firm_address="1 Market Street", firm_attorney="Dana",
        firm_bar_states="California", advertising_label=""))
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.advertising_label) == ("active", False)
    page = client.get("/").content.decode()
    assert "Active now; no class certified." in page and "Dana" in page
    changed = AuditEvent.objects.get(action="case.update").details["changed"]
    assert {"status", "status_text_active", "firm_attorney", "advertising_label"} <= set(changed)


# --- the audit log ------------------------------------------------------------------------

def test_audit_log_lists_and_filters_events(supervisor_client, supervisor, reviewer, case):
    submission = make_submission()
    detail(supervisor_client, submission)
    AuditEvent.objects.create(actor=reviewer, actor_label="rita", action="case.update")
    url = reverse("staff:audit")
    all_events = supervisor_client.get(url).context["page"].rows
    assert {e.action for e in all_events} >= {"submission.view", "case.update"}
    only_views = supervisor_client.get(url, {"action": "submission.view"}).context["page"].rows
    assert [e.target for e in only_views] == [submission.reference]
    by_rita = supervisor_client.get(url, {"actor": reviewer.pk}).context["page"].rows
    assert [e.action for e in by_rita] == ["case.update"]
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    assert supervisor_client.get(url, {"date_from": tomorrow}).context["page"].rows == []


def test_audit_log_pages(supervisor_client, supervisor):
    for i in range(55):
        AuditEvent.objects.create(actor=supervisor, action="submission.search",
                                  details={"kind": "name", "n": i})
    first = supervisor_client.get(reverse("staff:audit"))
    assert len(first.context["page"].rows) == 50
    second = supervisor_client.get(reverse("staff:audit"),
                                   {"after": first.context["page"].next_cursor})
    # 55 searches and the sign-in (force_login sends the same signal as the form).
    assert len(second.context["page"].rows) == 6
    assert second.context["page"].rows[-1].action == "auth.login"


# --- what the public typed stays harmless -------------------------------------------------

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> \'quoted\' ' + "W" * 300


def test_public_text_is_escaped_in_every_staff_view(supervisor_client, case):
    submission = make_submission(full_name=HOSTILE, phone="<b>0</b>")
    twin = make_submission(full_name=HOSTILE, email="twin@example.com")
    supervisor_client.post(reverse("staff:note", args=[submission.reference]),
                           {"text": "<script>bad()</script>"})
    pages = [
        queue(supervisor_client),
        detail(supervisor_client, submission),
        detail(supervisor_client, twin),
        supervisor_client.get(reverse("staff:audit")),
        supervisor_client.get(reverse("staff:overview")),
    ]
    for response in pages:
        html = response.content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "<script>bad" not in html and "<b>0</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in pages[1].content.decode()


# --- query counts: more rows never mean more queries ---------------------------------------

def _make_many(n, reviewer):
    made = [make_submission(email=f"same{i % 2}@example.com") for i in range(n)]
    Submission.objects.filter(pk__in=[s.pk for s in made[::2]]).update(assignee=reviewer)
    return made


@pytest.mark.parametrize("rows", [3, 30])
def test_queue_query_count_does_not_grow_with_rows(reviewer_client, reviewer, case, rows,
                                                   django_assert_max_num_queries):
    _make_many(rows, reviewer)
    # 10, the reviewer's saved views, and the second factor checked on every request (issue 12)
    with django_assert_max_num_queries(12):
        response = queue(reviewer_client, q="same0@example.com", sort="state")
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [3, 30])
def test_submission_page_query_count_does_not_grow(reviewer_client, reviewer, case, rows,
                                                   django_assert_max_num_queries):
    made = _make_many(rows, reviewer)
    target = made[0]
    for i in range(rows):
        ReviewEvent.objects.create(submission=target, actor=reviewer, kind="note",
                                   text=f"note {i}")
    # Opening a new submission starts its review: a conditional UPDATE, its timeline entry,
    # the audit entry and a re-read (4 queries, whatever the size); and the second factor,
    # checked on every request (issue 12).
    with django_assert_max_num_queries(18):  # the second-factor check, the messages
        response = detail(reviewer_client, target)
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [3, 30])
def test_overview_query_count_does_not_grow(reviewer_client, reviewer, case, rows,
                                            django_assert_max_num_queries):
    _make_many(rows, reviewer)
    # 10, and (issue 14) the accepted duplicates, one bounded count per ageing bucket (6), one
    # short seek per open status for the oldest (3) and the decision counters (1).
    with django_assert_max_num_queries(21):
        response = reviewer_client.get(reverse("staff:overview"))
    assert response.status_code == 200


# --- deleting one person's data on request -------------------------------------------------

def test_supervisor_erases_personal_data_with_a_reason(supervisor_client, case):
    submission = make_submission(full_name="Erase Person", email="erase.person@example.com")
    page = supervisor_client.get(reverse("staff:submission", args=[submission.reference]))
    assert "Delete this person" in page.content.decode()
    response = supervisor_client.post(reverse("staff:erase", args=[submission.reference]),
                                      {"category": "person_asked",
                                       "note": "Asked by email\non 3 March", "confirm": "on"})
    assert response.status_code == 302
    page = supervisor_client.get(response["Location"]).content.decode()
    assert "Erase Person" not in page and "were erased on" in page
    event = AuditEvent.objects.get(action="submission.erase")
    assert event.details["reason"] == "person_asked"
    assert event.note == "Asked by email\non 3 March"
    audit = supervisor_client.get(reverse("staff:audit")).content.decode()
    assert "The person asked us to delete it" in audit and "Asked by email<br>on 3 March" in audit


def test_erasure_without_reason_or_confirmation_deletes_nothing(supervisor_client, case):
    submission = make_submission(full_name="Keep Person")
    url = reverse("staff:erase", args=[submission.reference])
    response = supervisor_client.post(url, {"category": "", "confirm": "on"})
    assert response.status_code == 400
    assert "Choose why the data is being deleted" in response.content.decode()
    response = supervisor_client.post(url, {"category": "other", "note": " ", "confirm": "on"})
    assert response.status_code == 400
    assert "Write why the data is being deleted" in response.content.decode()
    response = supervisor_client.post(url, {"category": "person_asked"})
    assert "Tick the box" in response.content.decode()
    assert Submission.objects.get(pk=submission.pk).full_name == "Keep Person"


def test_reviewers_cannot_erase_or_see_the_erase_form(reviewer_client, case):
    submission = make_submission(full_name="Keep Person")
    page = reviewer_client.get(reverse("staff:submission", args=[submission.reference]))
    assert "Delete this person" not in page.content.decode()
    response = reviewer_client.post(reverse("staff:erase", args=[submission.reference]),
                                    {"category": "other", "note": "x", "confirm": "on"})
    assert response.status_code == 403
    assert Submission.objects.get(pk=submission.pk).full_name == "Keep Person"


def test_every_audited_action_can_be_chosen_in_the_audit_filter():
    import pathlib
    import re


    app = pathlib.Path(__file__).resolve().parent.parent / "caseapp"
    source = "".join(p.read_text() for p in app.rglob("*.py"))
    recorded = set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', source))
    assert recorded <= set(AUDIT_ACTIONS), recorded - set(AUDIT_ACTIONS)


# --- issue 12: every date bounded, none can 500 a page --------------------------------------

OUT_OF_RANGE = ["9999-12-31", "9998-06-01", "0001-01-01", "1999-12-31", "2101-01-01",
                "2024-02-30", "99999-01-01"]


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


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_an_export_with_a_date_out_of_range_exports_nothing_and_says_why(supervisor_client,
                                                                        case, value):
    make_submission()
    response = supervisor_client.get(reverse("staff:export"), {"received_to": value})
    assert response.status_code == 302 and response["Location"].startswith("/staff/submissions/")
    page = supervisor_client.get(response["Location"]).content.decode()
    assert "Nothing was exported" in page and "Enter a date between" in page
    assert not AuditEvent.objects.filter(action="submission.export").exists()


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("field", ["date_from", "date_to"])
def test_an_audit_date_out_of_range_gets_a_message_not_a_500(supervisor_client, case, field,
                                                             value):
    page = supervisor_client.get(reverse("staff:audit"), {field: value})
    assert page.status_code == 200
    assert "Enter a date between 1 January 2000 and 31 December 2100" in page.content.decode()


@pytest.mark.parametrize("field", ["sca_reference_date", "closed_on"])
@pytest.mark.parametrize("value", ["9998-06-01", "9999-12-31", "0001-01-01"])
def test_the_case_record_refuses_a_date_out_of_range(supervisor_client, case, field, value):
    before = case.sca_reference_date
    response = supervisor_client.post(reverse("staff:case"), case_form(case, **{field: value}))
    assert response.status_code == 200
    assert "Enter a date between 1 January 2000 and 31 December 2100" in \
        response.content.decode()
    case.refresh_from_db()
    assert case.sca_reference_date == before and case.closed_on is None


def test_the_case_record_refuses_retention_that_overflows_a_date(supervisor_client, case):
    response = supervisor_client.post(reverse("staff:case"),
                                      case_form(case, purge_after_days="2147483647"))
    assert response.status_code == 200 and "up to 36500" in response.content.decode()


def test_a_far_reference_date_written_past_the_form_breaks_no_page(supervisor_client, case):
    submission = make_submission()
    Case.objects.filter(pk=case.pk).update(sca_reference_date=datetime.date(9998, 6, 1))
    for url in (reverse("staff:queue"), reverse("staff:overview"),
                reverse("staff:queue") + "?time_limit=flagged",
                reverse("staff:submission", args=[submission.reference]),
                reverse("staff:export")):
        assert supervisor_client.get(url).status_code == 200, url


# --- issue 12: the export under DEBUG, audited only when complete, every cell disarmed --------

def test_the_export_works_with_debug_on(supervisor_client, case, settings):
    from django.db import connection

    settings.DEBUG = True
    make_submission(full_name="Debug Person")
    connection.force_debug_cursor = True  # the debug cursor's query log, as under DEBUG
    try:
        rows = export_rows(supervisor_client)
    finally:
        connection.force_debug_cursor = False
    assert [row["full_name"] for row in rows] == ["Debug Person"]
    assert rows[0]["received_at"][:2] == "20" and rows[0]["received_at"][19] in "+-"
    assert AuditEvent.objects.get(action="submission.export").details["rows"] == 1


def test_a_cut_off_export_is_not_audited(supervisor, case, rf):
    from django.core.signals import request_finished
    from django.db import close_old_connections

    from caseapp.views.staff.export import export

    for _ in range(1200):  # more than one chunk of a thousand lines
        make_submission()
    request = rf.get(reverse("staff:export"))
    request.user, request.session = supervisor, {}
    response = export(request)
    assert next(iter(response.streaming_content)).startswith(b"reference,")
    # The browser went away after the first chunk: the server closes the response. (Django
    # would also close the database connection, the test's transaction with it.)
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    assert not AuditEvent.objects.filter(action="submission.export").exists()
    # Read to the end, the same export is audited.
    complete = export(request)
    b"".join(complete.streaming_content)
    assert AuditEvent.objects.get(action="submission.export").details["rows"] == 1200


def test_every_export_cell_is_disarmed_whatever_its_column(supervisor_client, case):
    submission = make_submission(full_name="Plain Person")
    # Written past the app, as a shell or the admin of old could: values in columns the
    # database joins as vocabularies.
    Submission.objects.filter(pk=submission.pk).update(
        language='=A1,"x"', rules_version='+HYPERLINK("http://e.example"),1',
        consent_version='-2"3\n4', state="@SUM(1)",
        answers={**submission.answers, "country": "=cmd|' /C calc'!A0"})
    make_submission(full_name="Other Person")
    rows = export_rows(supervisor_client)
    assert len(rows) == 2
    row = next(r for r in rows if r["reference"] == submission.reference)
    assert row["language"] == '\'=A1,"x"'
    assert row["rules_version"] == '\'+HYPERLINK("http://e.example"),1'
    assert row["consent_version"] == "'-2\"3\n4"
    assert row["state"] == "'@SUM(1)" and row["country"] == "'=cmd|' /C calc'!A0"
    assert row["full_name"] == "Plain Person"
    for every in rows:
        assert None not in every  # no cell spilled into an extra column
        for value in every.values():
            assert not str(value).startswith(("=", "+", "-", "@"))


def test_exposure_counts_only_accepted_eligible_registrants_not_marked_duplicate(
        reviewer_client, reviewer, case):
    """Issue 11: an accepted submission overridden to "needs review", or marked as another's
    duplicate, cannot be owed the minimum; the overview says registrants, never members."""
    counted, duplicate, original, unsure = (make_submission() for _ in range(4))
    Submission.objects.filter(pk__in=[counted.pk, duplicate.pk, original.pk, unsure.pk]
                              ).update(review_status="accepted")
    Submission.objects.filter(pk=duplicate.pk).update(duplicate_of=original)
    Submission.objects.filter(pk=unsure.pk).update(outcome_override="needs_review")
    response = reviewer_client.get(reverse("staff:overview"))
    assert response.context["counts"]["owed"] == 2
    assert response.context["exposure"]["low"] == 2000
    html = response.content.decode()
    assert "Accepted eligible registrants: 2 ×" in html
    assert "(2 of the 4 accepted submissions)" in html
    assert "member" not in html.lower().replace("staff member", "")
    effective = {v: n for v, _l, n in response.context["counts"]["by_effective_outcome"]}
    assert (effective["eligible"], effective["needs_review"]) == (3, 1)


def test_overview_ages_open_submissions_and_lists_the_oldest_first(reviewer_client, case):
    now = timezone.now()
    ages = {"fresh": 1, "week": 5, "old": 40, "ancient": 100, "decided": 90}
    made = {}
    for label, days in ages.items():
        made[label] = make_submission()
        Submission.objects.filter(pk=made[label].pk).update(
            created_at=now - datetime.timedelta(days=days, hours=1))
    Submission.objects.filter(pk=made["decided"].pk).update(review_status="rejected")
    Submission.objects.filter(pk=made["week"].pk).update(review_status="needs_info")
    response = reviewer_client.get(reverse("staff:overview"))
    counts = [(b.first_day, b.count) for b in response.context["ageing"]]
    assert counts == [(0, 1), (3, 1), (8, 0), (15, 0), (31, 1), (61, 1)]
    assert [row.reference for row in response.context["oldest"]] == [
        made[k].reference for k in ("ancient", "old", "week", "fresh")]
    html = response.content.decode()
    assert "61 days or more" in html and "How long open submissions have waited" in html


def test_overview_counts_decisions_per_reviewer_per_day(reviewer_client, reviewer, case):
    from caseapp.services.review import submission_bulk_update, submission_decide

    other = make_staff("otto", "Reviewer")
    first, second, third = (make_submission() for _ in range(3))
    submission_decide(submission=first, actor=reviewer, expected_version=1, decision="accepted")
    submission_decide(submission=second, actor=reviewer, expected_version=1,
                      decision="needs_info", reason="Which account?")
    submission_bulk_update(actor=other, references=[third.reference], action="status",
                           review_status="accepted")
    response = reviewer_client.get(reverse("staff:overview"))
    rows = {row.reviewer: row for row in response.context["throughput"]}
    assert rows["rita"].by_decision == {"accepted": 1, "needs_info": 1}
    assert rows["rita"].per_day[-1] == 2 and rows["otto"].total == 1
    assert len(response.context["throughput_days"]) == 30
    assert "Decisions per reviewer, last 30 days" in response.content.decode()
