"""caseapp.views.staff.updates: the audience is the queue's filter form, reaches each address
once, and a send happens once however often the form is submitted."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from caseapp.models import CaseUpdate, Message, SubmitToken
from caseapp.services.duplicates import submission_mark_duplicate
from caseapp.services.registrant import submission_withdraw
from tests.factories import NEEDS_REVIEW_ANSWERS, make_submission
from tests.smtp import run_worker
from tests.staff_users import make_staff

TEXTS = {"subject": "The case was refiled", "body": "Filed again today.",
         "subject_es": "El caso se volvió a presentar", "body_es": "Se presentó hoy."}


def page_form(client, **query):
    """The update form as a supervisor opens it (with its one-time token)."""
    response = client.get(reverse("staff:update_new"), query)
    return response, {**TEXTS, "submit_token": response.context["form"].initial["submit_token"]}


def count_then_send(client, data: dict):
    preview = client.post(reverse("staff:update_new"), {**data, "preview": "1"})
    count = preview.context["count"]
    return count, client.post(reverse("staff:update_new"),
                              {**data, "send": "1", "expected_count": count})


@pytest.mark.django_db
def test_the_form_shows_the_queues_filters_under_the_queues_names(supervisor_client, case):
    response, _data = page_form(supervisor_client)
    html = response.content.decode()
    for name in ("state", "outcome", "review_status", "email_confirmed", "duplicate",
                 "received_from", "received_to", "country", "time_limit"):
        assert f'name="{name}"' in html
    assert 'name="q"' not in html and 'name="assignee"' not in html
    assert ">Count and preview</button>" in html


@pytest.mark.django_db
def test_send_an_update_to_these_carries_the_queues_filters(supervisor_client, case):
    queue = supervisor_client.get(reverse("staff:queue"),
                                  {"state": "NY", "outcome": "eligible", "q": "smith",
                                   "sort": "state"}).content.decode()
    link = reverse("staff:update_new") + "?outcome=eligible&amp;state=NY"
    assert f'href="{link}"' in queue
    response, _data = page_form(supervisor_client, outcome="eligible", state="NY")
    form = response.context["audience_form"]
    assert (form["state"].value(), form["outcome"].value()) == ("NY", "eligible")


@pytest.mark.django_db
def test_the_audience_leaves_out_withdrawn_and_duplicates_and_counts_each_address_once(
        supervisor_client, supervisor, case, smtp_server):
    kept = make_submission(email="ana@example.org")
    twice = make_submission(email="ANA@example.org ")  # the same address, typed again
    marked = make_submission(email="other@example.org")
    submission_mark_duplicate(submission=marked, actor=supervisor, expected_version=1,
                              duplicate_of=kept)
    withdrawn = make_submission(email="gone@example.org")
    submission_withdraw(submission=withdrawn)
    elsewhere = make_submission(email="ny@example.org", state="NY")
    make_submission(email="review@example.org", answers=NEEDS_REVIEW_ANSWERS)
    run_worker()
    smtp_server.messages.clear()

    _page, data = page_form(supervisor_client)
    count, sent = count_then_send(supervisor_client, {**data, "outcome": "eligible"})
    assert count == 2  # ana (once) and ny
    update = CaseUpdate.objects.get()
    assert {m.submission_id for m in update.messages.all()} == {kept.pk, elsewhere.pk}
    assert twice.pk not in {m.submission_id for m in update.messages.all()}
    run_worker()
    received = Counter(address for m in smtp_server.messages for address in m.envelope_to)
    assert received == {"ana@example.org": 1, "ny@example.org": 1}

    # Asked for, the marked duplicate is included (still one message per address).
    _page, data = page_form(supervisor_client)
    count, _sent = count_then_send(supervisor_client, {**data, "outcome": "eligible",
                                                       "include_duplicates": "on"})
    assert count == 3


@pytest.mark.django_db
def test_a_second_send_of_the_same_form_shows_the_same_update(supervisor_client, case):
    make_submission(), make_submission()
    _page, data = page_form(supervisor_client)
    count, first = count_then_send(supervisor_client, data)
    again = supervisor_client.post(reverse("staff:update_new"),
                                   {**data, "send": "1", "expected_count": count}, follow=True)
    update = CaseUpdate.objects.get()
    assert first["Location"] == reverse("staff:update", args=[update.pk])
    assert again.redirect_chain[-1][0] == first["Location"]
    assert "This update was sent already" in again.content.decode()
    assert Message.objects.filter(update=update).count() == 2


@pytest.mark.django_db(transaction=True)
def test_three_parallel_sends_make_one_update_and_one_email_per_address(case, smtp_server):
    for n in range(3):
        make_submission(email=f"p{n}@example.org")
    make_submission(email="p0@example.org")  # registered twice
    run_worker()  # the registration confirmations, out of the way
    supervisor = make_staff("sue", "Supervisor", email="sue@firm.example")
    client = Client()
    client.force_login(supervisor)
    _page, data = page_form(client)
    preview = client.post(reverse("staff:update_new"), {**data, "preview": "1"})
    post = {**data, "send": "1", "expected_count": preview.context["count"]}
    start = threading.Barrier(3)
    statuses = []

    def send():
        own = Client()
        own.force_login(supervisor)
        start.wait()
        try:
            statuses.append(own.post(reverse("staff:update_new"), post).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302, 302, 302]
    assert CaseUpdate.objects.count() == 1 and SubmitToken.objects.count() == 1
    smtp_server.messages.clear()
    run_worker()
    received = Counter(address for m in smtp_server.messages for address in m.envelope_to)
    assert received == {"p0@example.org": 1, "p1@example.org": 1, "p2@example.org": 1}


@pytest.mark.django_db
def test_an_update_to_nobody_is_not_sent(supervisor_client, case):
    """Walked as a supervisor: filtered to a state nobody registered from, "Count and
    preview" said 0 people and still offered "Send to 0 people", which listed an update to
    nobody as sent."""
    make_submission(state="CA")
    _page, data = page_form(supervisor_client, state="WY")
    count, sent = count_then_send(supervisor_client, {**data, "state": "WY"})
    assert count == 0
    preview = supervisor_client.post(reverse("staff:update_new"),
                                     {**data, "state": "WY", "preview": "1"}).content.decode()
    assert "This update would go to 0 people." in preview
    assert 'name="send"' not in preview
    assert sent.status_code == 200
    assert "Nobody matches these filters: nothing was sent." in sent.content.decode()
    assert not CaseUpdate.objects.exists()
    assert not Message.objects.filter(update__isnull=False).exists()
