"""Work-queue mode and one-step decisions through the test client: start, decide and next,
claim, the queue kept in the URL and remembered."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from caseapp.models import AuditEvent, ReviewEvent, Submission
from tests.factories import make_submission
from tests.staff_users import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(db):
    return make_staff("rita", "Reviewer")


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


def reference_in(location: str) -> str:
    return urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1]


def query_of(location: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def decide(client, location: str, decision: str, reason: str = ""):
    """Post the decision form of the submission page at ``location``, as its button would."""
    page = client.get(location)
    submission = page.context["submission"]
    action = reverse("staff:decide", args=[submission.reference])
    query = urlsplit(location).query
    return client.post(f"{action}?{query}" if query else action, {
        "decision": decision, "reason": reason, "version": submission.version})


def test_the_queue_offers_start_reviewing_and_a_search_box(reviewer_client, case):
    make_submission()
    html = reviewer_client.get(reverse("staff:queue"), {"outcome": "eligible"}).content.decode()
    assert ">Start reviewing</a>" in html
    assert 'type="search"' in html
    assert "Claim next unassigned" in html


def test_start_reviewing_opens_the_first_submission_of_the_filtered_sorted_queue(
        reviewer_client, case):
    first_ny = make_submission(state="NY")
    make_submission(state="CA")
    second_ny = make_submission(state="NY")
    response = reviewer_client.get(reverse("staff:queue_start"),
                                   {"state": "NY", "sort": "received"})
    assert reference_in(response["Location"]) == first_ny.reference
    assert query_of(response["Location"]) == {"state": "NY", "sort": "received", "wq": "1"}
    response = reviewer_client.get(reverse("staff:queue_start"), {"state": "NY"})
    assert reference_in(response["Location"]) == second_ny.reference  # newest first


def test_start_reviewing_an_empty_queue_says_so(reviewer_client, case):
    response = reviewer_client.get(reverse("staff:queue_start"), {"state": "TX"}, follow=True)
    assert "nothing to review" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("staff:queue") + "?state=TX"


def test_accept_and_next_walks_the_queue_in_one_request_each(reviewer_client, case):
    made = [make_submission(state="NY") for _ in range(3)]
    make_submission(state="CA")
    location = reviewer_client.get(reverse("staff:queue_start"),
                                   {"state": "NY", "sort": "received"})["Location"]
    html = reviewer_client.get(location).content.decode()
    for label in ("Accept and next", "Reject and next", "Needs information and next"):
        assert f">{label}</button>" in html
    # Asking for information is a request to the person: also a link to its form.
    assert (f'href="{reverse("staff:info_request", args=[reference_in(location)])}?'
            in html and ">Needs information</a>" in html)
    seen = []
    for _ in made:
        seen.append(reference_in(location))
        response = decide(reviewer_client, location, "accepted:next")
        assert response.status_code == 302
        location = response["Location"]
    assert seen == [s.reference for s in made]
    assert location == reverse("staff:queue") + "?state=NY&sort=received"
    assert set(Submission.objects.filter(state="NY").values_list(
        "review_status", flat=True)) == {"accepted"}
    assert Submission.objects.get(state="CA").review_status == "new"


def test_next_finds_the_successor_of_a_submission_that_left_the_filter(reviewer_client, case):
    made = [make_submission() for _ in range(2)]
    location = reverse("staff:submission", args=[made[0].reference]) + (
        "?review_status=new&sort=received&wq=1")
    # Accepting it takes it out of "new", so it no longer matches; its successor is still next.
    response = decide(reviewer_client, location, "accepted:next")
    assert reference_in(response["Location"]) == made[1].reference


def test_a_refused_decision_is_explained_and_changes_nothing(reviewer_client, case):
    submission = make_submission()
    Submission.objects.filter(pk=submission.pk).update(outcome="not_eligible")
    location = reverse("staff:submission", args=[submission.reference]) + "?wq=1"
    response = decide(reviewer_client, location, "accepted:next")
    assert response.status_code == 400
    assert "An accepted submission cannot have the outcome" in response.content.decode()
    assert Submission.objects.get(pk=submission.pk).review_status == "new"
    response = decide(reviewer_client, location, "rejected:next")
    assert response.status_code == 302


def test_a_reason_is_asked_for_and_kept(reviewer_client, case):
    submission = make_submission()
    Submission.objects.filter(pk=submission.pk).update(outcome="needs_review")
    location = reverse("staff:submission", args=[submission.reference])
    response = decide(reviewer_client, location, "rejected")
    assert response.status_code == 400
    assert "Write a reason" in response.content.decode()
    response = decide(reviewer_client, location, "rejected", reason="Not a subscriber")
    assert response["Location"] == location
    event = ReviewEvent.objects.get(kind="status", to_value="rejected")
    assert event.text == "Not a subscriber"


def test_needs_information_leads_to_the_request_form_keeping_the_queue(reviewer_client, case):
    submission = make_submission()
    location = reverse("staff:submission", args=[submission.reference]) + "?state=CA&wq=1"
    response = decide(reviewer_client, location, "needs_info:next")
    assert response["Location"] == reverse(
        "staff:info_request", args=[submission.reference]) + "?state=CA&wq=1&then=next"
    assert Submission.objects.get(pk=submission.pk).review_status != "needs_info"


def test_opening_a_new_submission_changes_nothing(reviewer_client, case):
    submission = make_submission()
    reviewer_client.get(reverse("staff:submission", args=[submission.reference]))
    opened = Submission.objects.get(pk=submission.pk)
    assert (opened.review_status, opened.assignee, opened.version) == ("new", None, 1)
    assert not AuditEvent.objects.filter(action="submission.review").exists()
    assert AuditEvent.objects.filter(action="submission.view").count() == 1


def test_outside_work_queue_mode_the_decisions_stay_on_the_page(reviewer_client, case):
    submission = make_submission()
    location = reverse("staff:submission", args=[submission.reference])
    html = reviewer_client.get(location).content.decode()
    assert "Accept and next" not in html and ">Accept</button>" in html
    assert decide(reviewer_client, location, "accepted")["Location"] == location


def test_back_previous_and_next_keep_the_queue(reviewer_client, case):
    made = [make_submission(state="NY") for _ in range(3)]
    location = (reverse("staff:submission", args=[made[1].reference])
                + "?state=NY&sort=received&wq=1")
    context = reviewer_client.get(location).context
    assert context["queue_url"] == reverse("staff:queue") + "?state=NY&sort=received"
    assert reference_in(context["previous_url"]) == made[0].reference
    assert reference_in(context["next_url"]) == made[2].reference
    assert query_of(context["next_url"]) == {"state": "NY", "sort": "received", "wq": "1"}


def test_the_last_queue_is_remembered_for_the_back_link(reviewer_client, case):
    submission = make_submission(state="NY")
    reviewer_client.get(reverse("staff:queue"), {"state": "NY", "after": "x"})
    context = reviewer_client.get(reverse("staff:submission", args=[submission.reference])
                                  ).context
    assert context["queue_url"] == reverse("staff:queue") + "?state=NY"


def test_a_searched_name_is_not_kept_in_the_session(reviewer_client, case):
    from caseapp.views.staff.queue import LAST_QUEUE_SESSION_KEY

    reviewer_client.get(reverse("staff:queue"), {"q": "Whitfield", "state": "NY"})
    assert reviewer_client.session[LAST_QUEUE_SESSION_KEY] == "state=NY"


def test_claim_next_unassigned_assigns_opens_and_audits(reviewer_client, reviewer, case):
    older, newer = make_submission(), make_submission()
    response = reviewer_client.post(reverse("staff:claim") + "?assignee=me&sort=received")
    assert reference_in(response["Location"]) == older.reference
    assert query_of(response["Location"])["assignee"] == "me"
    older.refresh_from_db()
    assert (older.assignee, older.review_status) == (reviewer, "in_review")
    assert AuditEvent.objects.filter(action="submission.claim", target=older.reference).exists()
    reviewer_client.post(reverse("staff:claim"))
    response = reviewer_client.post(reverse("staff:claim"), follow=True)
    assert "Every undecided submission in this queue has someone assigned" in (
        response.content.decode())
    assert Submission.objects.get(pk=newer.pk).assignee == reviewer


def test_adding_a_note_in_work_queue_mode_stays_in_it(reviewer_client, case):
    submission = make_submission()
    action = reverse("staff:note", args=[submission.reference]) + "?state=CA&wq=1"
    response = reviewer_client.post(action, {"text": "Called, no answer"})
    assert response["Location"] == (reverse("staff:submission", args=[submission.reference])
                                    + "?state=CA&wq=1#timeline")


# --- saved views and the default queue ------------------------------------------------------

def test_a_reviewer_saves_names_and_deletes_a_view_without_its_search_text(
        reviewer_client, reviewer, case):
    from caseapp.models import SavedView

    response = reviewer_client.post(reverse("staff:saved_view_save"), {
        "name": "  NY   new ", "query": "state=NY&review_status=new&q=Maria+Smith&evil=1"})
    assert response["Location"] == reverse("staff:queue") + "?review_status=new&state=NY"
    view = SavedView.objects.get(owner=reviewer)
    assert (view.name, view.query) == ("NY new", "review_status=new&state=NY")
    html = reviewer_client.get(reverse("staff:queue"), {"state": "NY",
                                                         "review_status": "new"}).content.decode()
    assert ">NY new</a>" in html and 'aria-current="page" class="fw-bold">NY new' in html
    reviewer_client.post(reverse("staff:saved_view_delete", args=[view.pk]))
    assert not SavedView.objects.exists()


def test_a_view_belongs_to_its_owner(client, reviewer, case):
    from caseapp.models import SavedView

    view = SavedView.objects.create(owner=reviewer, name="Mine", query="state=NY")
    client.force_login(make_staff("otto", "Reviewer"))
    client.post(reverse("staff:saved_view_delete", args=[view.pk]))
    assert SavedView.objects.filter(pk=view.pk).exists()
    assert "Mine" not in client.get(reverse("staff:queue")).content.decode()


def test_my_open_items_is_a_reviewers_default_queue_until_another_is_used(
        reviewer_client, reviewer, case):
    mine, _other, done = make_submission(), make_submission(), make_submission()
    Submission.objects.filter(pk__in=[mine.pk, done.pk]).update(assignee=reviewer)
    Submission.objects.filter(pk=done.pk).update(review_status="accepted")
    html = reviewer_client.get(reverse("staff:overview")).content.decode()
    home = reverse("staff:queue") + "?review_status=open&amp;assignee=me&amp;sort=received"
    assert f'href="{home}"' in html
    response = reviewer_client.get(reverse("staff:queue"), {
        "review_status": "open", "assignee": "me", "sort": "received"})
    assert [row.reference for row in response.context["page"].rows] == [mine.reference]
    reviewer_client.get(reverse("staff:queue"))
    html = reviewer_client.get(reverse("staff:overview")).content.decode()
    assert f'href="{reverse("staff:queue")}?sort=-received"' in html


def test_a_supervisors_default_queue_is_the_whole_queue(client, case):
    client.force_login(make_staff("sam", "Supervisor"))
    html = client.get(reverse("staff:overview")).content.decode()
    assert f'href="{reverse("staff:queue")}"' in html


# --- the readable queue -------------------------------------------------------------------

def test_the_queue_shows_labels_age_and_the_time_limit_badge_only_on_open_work(
        reviewer_client, case):
    import datetime

    from django.utils import timezone

    open_late, decided_late = make_submission(state="outside_us"), make_submission()
    late = timezone.make_aware(datetime.datetime(2026, 9, 25, 9))
    Submission.objects.filter(pk__in=[open_late.pk, decided_late.pk]).update(created_at=late)
    Submission.objects.filter(pk=decided_late.pk).update(review_status="accepted")
    response = reviewer_client.get(reverse("staff:queue"))
    rows = {row.reference: row for row in response.context["rows"]}
    assert rows[open_late.reference].time_limit and not rows[decided_late.reference].time_limit
    assert rows[open_late.reference].state_label == "Outside the U.S."
    assert rows[open_late.reference].age_text.endswith("days")
    html = response.content.decode()
    # One badge on the flagged row (the page mixes flagged and unflagged), one on the note.
    assert ">outside_us<" not in html and html.count("Time limit: check</span>") == 2
    assert ("1 undecided submission on this page came in more than two years after the person "
            "says they found out (without an answer: on or after "
            '<time datetime="2026-09-19">September 19, 2026</time>') in html
    Submission.objects.filter(pk=decided_late.pk).update(review_status="new")
    html = reviewer_client.get(reverse("staff:queue")).content.decode()
    # Every row flagged: the note says so once, and no row repeats it.
    assert html.count("Time limit: check</span>") == 1
    assert "2 undecided submissions on this page" in html


def test_the_main_filters_show_and_the_rest_fold_open_when_set(reviewer_client, case):
    html = reviewer_client.get(reverse("staff:queue")).content.decode()
    assert '<details class="more-filters mt-2">' in html
    html = reviewer_client.get(reverse("staff:queue"), {"state": "NY"}).content.decode()
    assert '<details class="more-filters mt-2" open>' in html and "1 set" in html


def test_the_keyboard_help_lists_the_shortcuts(reviewer_client, case):
    html = reviewer_client.get(reverse("staff:keyboard")).content.decode()
    for key in ("?", "/", "j", "k", "a", "r", "i", "n", "u"):
        assert f"<kbd>{key}</kbd>" in html
    queue_html = reviewer_client.get(reverse("staff:queue")).content.decode()
    assert 'href="#queue-table">Skip to results' in queue_html
    assert 'data-shortcut="?"' in queue_html


def test_a_searched_queue_is_audited_where_the_walk_starts_not_on_every_page(
        reviewer_client, case):
    made = [make_submission(full_name="Ada Smith") for _ in range(3)]
    location = reviewer_client.get(reverse("staff:queue_start"), {"q": "smith"})["Location"]
    assert reference_in(location) == made[-1].reference  # newest first
    for _ in range(2):
        location = decide(reviewer_client, location, "accepted:next")["Location"]
    searches = AuditEvent.objects.filter(action="submission.search")
    assert [event.details for event in searches] == [{"kind": "name"}]


def test_an_erased_submission_is_skipped_by_work_queue_mode_and_cannot_be_decided(
        reviewer_client, reviewer, case):
    from caseapp.services.privacy import submission_erase_personal_data

    withdrawn, waiting = make_submission(), make_submission()
    submission_erase_personal_data(submission=withdrawn, actor=None, category="person_asked")
    # Oldest first, the withdrawn one would come first: start and claim pass over it.
    response = reviewer_client.get(reverse("staff:queue_start") + "?sort=received")
    assert reference_in(response["Location"]) == waiting.reference
    response = reviewer_client.post(reverse("staff:claim") + "?sort=received")
    assert reference_in(response["Location"]) == waiting.reference
    assert Submission.objects.get(pk=withdrawn.pk).assignee_id is None
    # Opened on its own, it says why and offers no decision, and opening it starts nothing.
    page = reviewer_client.get(reverse("staff:submission", args=[withdrawn.reference]))
    html = page.content.decode()
    assert 'id="erased-note"' in html and "personal data was erased on" in html
    assert "Accept and next" not in html and 'id="decide-form"' not in html
    assert Submission.objects.get(pk=withdrawn.pk).review_status == "new"
