"""Requests for information through the pages: the reviewer's form, the reasons page, and
the person's answer at /manage/."""

from __future__ import annotations

import pytest
from django.urls import reverse

from caseapp import review_rules
from caseapp.models import InfoRequest, InfoRequestReason, Message, Submission
from tests.factories import NEEDS_REVIEW_ANSWERS, make_submission
from tests.test_views_public_manage import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def reason(db):
    return InfoRequestReason.objects.create(
        name="Proof of InMail", public_text="A screenshot of an InMail you sent or received.",
        public_text_es="Una captura de pantalla de un InMail.")


def test_the_submission_page_links_needs_information_to_the_request_form(reviewer_client,
                                                                        case):
    submission = make_submission()
    html = reviewer_client.get(reverse("staff:submission", args=[submission.reference])
                               ).content.decode()
    url = reverse("staff:info_request", args=[submission.reference])
    assert f'<a href="{url}" class="btn btn-outline-secondary" data-shortcut="i"' in html
    assert ">Needs information</a>" in html


def test_the_request_form_sends_and_queues_one_email(reviewer_client, reviewer, case, reason):
    submission = Submission.objects.get(pk=make_submission().pk)
    url = reverse("staff:info_request", args=[submission.reference])
    page = reviewer_client.get(url).content.decode()
    assert "Send request" in page and reason.name in page
    response = reviewer_client.post(url, {"reasons": [reason.pk], "note": "Thanks!",
                                          "version": submission.version})
    assert response["Location"] == reverse("staff:submission", args=[submission.reference])
    assert Message.objects.filter(submission=submission,
                                  kind=Message.Kind.INFO_REQUEST).count() == 1
    assert Submission.objects.get(pk=submission.pk).review_status == review_rules.NEEDS_INFO


def test_the_request_form_needs_a_reason(reviewer_client, case, reason):
    submission = make_submission()
    url = reverse("staff:info_request", args=[submission.reference])
    response = reviewer_client.post(url, {"version": submission.version})
    assert response.status_code == 400
    assert "Choose at least one thing" in response.content.decode()
    assert not InfoRequest.objects.exists()


def test_supervisors_add_edit_and_disable_reasons_in_both_languages(supervisor_client, case):
    url = reverse("staff:info_request_reasons")
    response = supervisor_client.post(url, {"name": "ID", "public_text": "An ID",
                                            "public_text_es": "", "active": "on"})
    assert response.status_code == 400  # Spanish required
    supervisor_client.post(url, {"name": "ID", "public_text": "An ID",
                                 "public_text_es": "Una identificación", "active": "on"})
    saved = InfoRequestReason.objects.get(name="ID")
    supervisor_client.post(reverse("staff:info_request_reason", args=[saved.pk]), {
        "name": "ID", "public_text": "A photo ID", "public_text_es": "Una identificación"})
    saved.refresh_from_db()
    assert saved.public_text == "A photo ID" and not saved.active


def test_reviewers_cannot_edit_reasons(reviewer_client, case):
    assert reviewer_client.get(reverse("staff:info_request_reasons")).status_code == 403


def test_the_person_answers_at_manage_and_may_change_answers(client, reviewer_client, case,
                                                             reason, smtp_server):
    submission = Submission.objects.get(pk=make_submission(
        email="ans@example.org", answers=NEEDS_REVIEW_ANSWERS).pk)
    reviewer_client.post(reverse("staff:info_request", args=[submission.reference]),
                         {"reasons": [reason.pk], "version": submission.version})
    signed_in(client, smtp_server, submission)
    home = client.get("/manage/").content.decode()
    assert "What the firm needs from you" in home
    assert "A screenshot of an InMail you sent or received." in home
    assert "/manage/information/" in home
    page = client.get("/manage/information/").content.decode()
    assert 'name="answer"' in page and 'name="q_discovered"' in page
    response = client.post("/manage/information/", {
        "answer": "Attached: screenshot.", "q_inmail": "sent", "q_inmail_before_cutoff": "yes",
        "q_discovered": "before_2024_09_18"})
    assert response["Location"] == "/manage/"
    submission.refresh_from_db()
    assert submission.review_status == review_rules.INFO_RECEIVED
    assert submission.outcome == "eligible"
    assert "Information received" in client.get("/manage/").content.decode()
    # The reviewer finds it at the top of their work.
    queue = reviewer_client.get(reverse("staff:queue")).content.decode()
    top = queue.index('id="info-received"')
    assert submission.reference in queue[top:queue.index("</section>", top)]


def test_nothing_to_answer_without_a_request(client, case, smtp_server):
    submission = make_submission(email="none@example.org")
    signed_in(client, smtp_server, submission)
    assert client.get("/manage/information/")["Location"] == "/manage/"


def test_needs_information_and_next_sends_then_opens_the_next_in_the_queue(
        reviewer_client, case, reason):
    first, second = make_submission(state="NY"), make_submission(state="NY")
    location = reverse("staff:submission", args=[first.reference]) + (
        "?state=NY&sort=received&wq=1")
    version = reviewer_client.get(location).context["submission"].version
    form_url = reviewer_client.post(
        reverse("staff:decide", args=[first.reference]) + "?state=NY&sort=received&wq=1",
        {"decision": "needs_info:next", "reason": "", "version": version})["Location"]
    assert "then=next" in form_url
    response = reviewer_client.post(form_url, {"reasons": [reason.pk], "version": version})
    assert f"/staff/submissions/{second.reference}/?" in response["Location"]
    assert "wq=1" in response["Location"]


def test_the_review_form_offers_no_needs_information_and_points_to_the_request_form(
        reviewer_client, case):
    submission = make_submission()
    response = reviewer_client.get(reverse("staff:submission", args=[submission.reference]))
    choices = dict(response.context["review_form"].fields["review_status"].choices)
    assert "needs_info" not in choices and "rejected" in choices
    assert "the request form</a>: it emails them" in response.content.decode()


def test_a_review_form_that_still_posts_needs_information_leads_to_the_request_form(
        reviewer_client, case):
    submission = make_submission()
    response = reviewer_client.post(
        reverse("staff:review", args=[submission.reference]) + "?wq=1&state=NY",
        {"review_status": "needs_info", "outcome_override": "", "override_reason": "Why?",
         "version": submission.version})
    assert response.status_code == 302
    assert response["Location"] == (reverse("staff:info_request", args=[submission.reference])
                                     + "?wq=1&state=NY")
    submission.refresh_from_db()
    assert (submission.review_status, submission.version) == ("new", 1)


def test_the_queues_bulk_decision_offers_no_needs_information(supervisor_client, case):
    make_submission()
    response = supervisor_client.get(reverse("staff:queue"))
    choices = dict(response.context["bulk_form"].fields["review_status"].choices)
    assert set(choices) == {"in_review", "accepted", "rejected"}
    html = response.content.decode()
    assert f'formaction="{reverse("staff:bulk_info_request")}"' in html
    assert "Ask for information…" in html


def test_a_bulk_status_of_needs_information_is_refused_with_where_to_go(supervisor_client,
                                                                        case):
    submission = make_submission()
    response = supervisor_client.post(reverse("staff:bulk"), {
        "references": [submission.reference], "action": "status",
        "review_status": "needs_info", "reason": "Why?"}, follow=True)
    page = response.content.decode()
    assert "Ask for information" in page and "0 submissions changed" not in page
    assert Submission.objects.get(pk=submission.pk).review_status == "new"
    assert not Message.objects.filter(kind=Message.Kind.INFO_REQUEST).exists()


def test_the_queues_ask_for_information_sends_each_selected_person_one_request(
        supervisor_client, case, reason):
    people = [make_submission() for _ in range(2)]
    waiting = make_submission()
    references = sorted(s.reference for s in (*people, waiting))
    supervisor_client.post(reverse("staff:info_request", args=[waiting.reference]),
                           {"reasons": [reason.pk], "version": waiting.version})
    back = reverse("staff:queue") + "?state=NY"
    page = supervisor_client.post(reverse("staff:bulk_info_request"),
                                  {"references": references, "next": back,
                                   "action": "info_request"})
    html = page.content.decode()
    assert page.status_code == 200 and "Send request to 2 people" in html
    assert "already waiting for the person&#x27;s answer" in html
    assert not InfoRequest.objects.exclude(submission=waiting).exists()  # nothing sent yet
    token = page.context["form"]["submit_token"].value()
    form = {"references": references, "next": back, "reasons": [reason.pk],
            "note": "Thank you.", "submit_token": token, "send_request": ""}
    sent = supervisor_client.post(reverse("staff:bulk_info_request"), form, follow=True)
    assert sent.redirect_chain[-1][0] == back
    assert "sent to 2 people, one email each" in sent.content.decode()
    again = supervisor_client.post(reverse("staff:bulk_info_request"), form, follow=True)
    assert "sent already; nothing was sent again" in again.content.decode()
    for submission in (*people, waiting):
        assert Message.objects.filter(submission=submission,
                                      kind=Message.Kind.INFO_REQUEST).count() == 1
        assert Submission.objects.get(pk=submission.pk).review_status == "needs_info"


def test_the_bulk_request_needs_a_selection_and_a_reason(supervisor_client, case, reason):
    nothing = supervisor_client.post(reverse("staff:bulk_info_request"), {"next": "/elsewhere/"})
    assert nothing["Location"] == reverse("staff:queue")  # and never somewhere else
    submission = make_submission()
    response = supervisor_client.post(reverse("staff:bulk_info_request"), {
        "references": [submission.reference], "submit_token": "t" * 43, "send_request": ""})
    assert response.status_code == 400
    assert "Choose at least one thing" in response.content.decode()
    assert not InfoRequest.objects.exists()


def test_reviewers_cannot_ask_in_bulk(reviewer_client, case, reason):
    submission = make_submission()
    response = reviewer_client.post(reverse("staff:bulk_info_request"), {
        "references": [submission.reference], "reasons": [reason.pk],
        "submit_token": "t" * 43, "send_request": ""})
    assert response.status_code == 403
    assert not InfoRequest.objects.exists()


def test_a_second_request_while_one_waits_is_sent_only_when_asked_for(reviewer_client, case,
                                                                      reason):
    """Walked as a reviewer: after "Send request", the browser's Back showed the form again,
    fresh and with no word of the request just sent; sending it emailed the person twice."""
    submission = Submission.objects.get(pk=make_submission().pk)
    url = reverse("staff:info_request", args=[submission.reference])
    reviewer_client.post(url, {"reasons": [reason.pk], "version": submission.version})
    submission.refresh_from_db()
    page = reviewer_client.get(url).content.decode()  # Back: the form, fresh
    assert 'id="info-request-waiting"' in page and "has not answered yet" in page
    response = reviewer_client.post(url, {"reasons": [reason.pk],
                                          "version": submission.version})
    assert response.status_code == 400
    assert "Tick the box to email them another request" in response.content.decode()
    sent = Message.objects.filter(submission=submission, kind=Message.Kind.INFO_REQUEST)
    assert sent.count() == 1 and InfoRequest.objects.count() == 1
    # Asked for on purpose, it goes.
    response = reviewer_client.post(url, {"reasons": [reason.pk], "again": "on",
                                          "version": submission.version})
    assert response.status_code == 302
    assert sent.count() == 2 and InfoRequest.objects.count() == 2


def test_without_a_reason_the_request_form_says_so_and_offers_no_send(reviewer_client, case):
    submission = make_submission()
    page = reviewer_client.get(reverse("staff:info_request", args=[submission.reference])
                               ).content.decode()
    assert 'id="no-reasons"' in page and "Ask a supervisor to add reasons." in page
    assert "Send request" not in page and 'name="send_request"' not in page


def test_without_a_reason_a_supervisor_is_led_to_the_reasons_page(supervisor_client, case):
    submission = make_submission()
    page = supervisor_client.get(reverse("staff:info_request", args=[submission.reference])
                                 ).content.decode()
    assert f'<a href="{reverse("staff:info_request_reasons")}">Add a reason</a>' in page
    assert 'name="send_request"' not in page
