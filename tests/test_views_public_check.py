"""caseapp.views.public.check: the check."""

from __future__ import annotations

from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from caseapp.models import Submission
from tests.factories import ELIGIBLE_ANSWERS, draft_of, draft_put
from tests.public_pages import REGISTRATION, answer_all, counts, form_token

pytestmark = pytest.mark.django_db


def test_start_page_explains_the_check_and_the_case_status(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Start now" in html
    assert 'href="/check/country/"' in html
    assert "not legal advice" in html
    assert "attorney–client relationship" in html
    assert "Dismissed" in html and "January 30, 2025" in html
    assert "$1,000" in html and "not a promise" in html


def test_question_page_has_radios_named_by_key_and_valued_by_code(client):
    html = client.get("/check/country/").content.decode()
    for code in ["US", "CA", "GB", "EU", "CH", "HK", "CN", "OTHER"]:
        assert f'name="country" value="{code}"' in html
    assert ">Continue<" in html
    assert 'class="back-link"' in html
    assert "<legend>" in html and "<h1" in html


def test_start_page_promises_as_many_questions_as_the_longest_check_asks(client):
    from caseapp import eligibility

    html = client.get("/").content.decode()
    # Someone who answers "yes" throughout is asked every question (the first page says
    # "Question 1 of up to 7"): the start page must not promise fewer.
    assert f"Answer up to {len(eligibility.QUESTIONS)} questions" in html
    assert all(q.applies(dict.fromkeys(eligibility.QUESTIONS_BY_KEY, "yes"))
               for q in eligibility.QUESTIONS)


def test_first_question_counts_a_started_check_once(client):
    client.get("/check/country/")
    client.get("/check/country/")
    assert counts()["started"] == 1


def test_eligible_person_goes_through_every_question_then_check_answers(client):
    response = answer_all(client, ELIGIBLE_ANSWERS)
    assert response["Location"] == "/check/answers/"
    page = client.get("/check/answers/").content.decode()
    for key in ELIGIBLE_ANSWERS:
        assert f"/check/{key}/?change=1" in page
    response = client.post("/check/answers/")
    assert response["Location"] == "/result/"
    result = client.get("/result/").content.decode()
    assert 'data-outcome="eligible"' in result
    assert 'data-estimated-damages="1000"' in result
    assert "Register with the firm" in result
    assert "per person (18 U.S.C. § 2707(c)), not per message" in result


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        ({"country": "GB"}, "Canada, the EU"),
        ({"country": "US", "premium": "no"}, "paying LinkedIn Premium customers"),
        ({"country": "US", "premium": "yes", "premium_before_cutoff": "no"}, "before September"),
        ({"country": "US", "premium": "yes", "premium_before_cutoff": "yes",
          "inmail": "neither"}, "neither sent nor"),
        ({**{k: v for k, v in ELIGIBLE_ANSWERS.items() if k != "discovered"},
          "affiliation": "court_or_counsel"}, "lawyers on the case"),
    ],
)
def test_ruling_out_answer_goes_straight_to_the_result_with_the_reason(client, answers, reason):
    response = answer_all(client, answers)
    assert response["Location"] == "/result/"
    result = client.get("/result/").content.decode()
    assert 'data-outcome="not_eligible"' in result
    assert 'data-estimated-damages="0"' in result
    assert reason in result
    last_key = list(answers)[-1]
    assert f"/check/{last_key}/?change=1" in result  # offers to change it
    assert "Register with the firm" not in result


def test_a_ruled_out_result_gives_the_reason_once_then_the_other_answers(client):
    answer_all(client, {"country": "US", "premium": "no"})
    html = client.get("/result/").content.decode()
    assert html.count("The proposed class is made of paying LinkedIn Premium customers.") == 1
    assert "Your other answers" in html and "How we decided" not in html
    assert "United States" in html  # the answer that was met is still listed


def test_missing_answer_shows_error_summary_and_inline_message(client):
    client.get("/check/country/")
    response = client.post("/check/country/", {})
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert 'href="#id_country_0"' in html
    assert 'id="id_country-error"' in html
    assert "<title>Error:" in html
    assert "autofocus" in html


def test_forged_code_is_refused_with_a_clear_message(client):
    client.get("/check/country/")
    response = client.post("/check/country/", {"country": "US'; DROP TABLE"})
    assert "not one of the options" in response.content.decode()
    assert draft_of(client)["check"]["answers"] == {}


def test_unknown_question_key_is_a_404(client):
    assert client.get("/check/favourite_colour/").status_code == 404


def test_skipping_ahead_redirects_to_the_first_unanswered_question(client):
    client.get("/check/country/")
    response = client.get("/check/affiliation/")
    assert response["Location"] == "/check/country/"
    response = client.post("/check/inmail/", {"inmail": "both"})
    assert response["Location"] == "/check/country/"
    assert "inmail" not in draft_of(client)["check"]["answers"]


def test_a_later_question_first_starts_a_check_and_sends_back_to_the_start(client):
    response = client.get("/check/inmail/")
    assert response["Location"] == "/check/country/"


def test_result_before_finishing_sends_to_the_next_question(client):
    answer_all(client, {"country": "US"})
    assert client.get("/result/")["Location"] == "/check/premium/"
    assert client.get("/check/answers/")["Location"] == "/check/premium/"


def test_change_link_returns_to_check_answers(client):
    answer_all(client, ELIGIBLE_ANSWERS)
    response = client.post("/check/inmail/?change=1", {"inmail": "received"})
    assert response["Location"] == "/check/answers/"
    assert draft_of(client)["check"]["answers"]["inmail"] == "received"


def test_change_that_opens_a_new_question_asks_it_then_continues(client):
    answer_all(client, {**{k: v for k, v in ELIGIBLE_ANSWERS.items()
                           if k not in ("inmail", "inmail_before_cutoff")},
                        "inmail": "unsure", "inmail_before_cutoff": "unsure"})
    answer_all(client, {})
    client.post("/check/country/?change=1", {"country": "US"})
    response = client.post("/check/premium/?change=1", {"premium": "no"})
    assert response["Location"] == "/result/"  # ruled out by the change
    assert "premium_before_cutoff" not in draft_of(client)["check"]["answers"]
    response = client.post("/check/premium/?change=1", {"premium": "yes"})
    assert response["Location"] == "/check/premium_before_cutoff/"


def test_htmx_request_gets_only_the_main_area(client):
    full = client.get("/check/country/").content.decode()
    fragment = client.get("/check/country/", HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert "<html" in full and "<html" not in html
    assert "site-header" not in html
    assert "<title>" in html and 'name="country"' in html
    assert fragment["HX-Push-Url"] == "/check/country/"
    assert "HX-Request" in fragment["Vary"]


def test_htmx_history_restore_gets_the_full_page(client):
    response = client.get("/check/country/", HTTP_HX_REQUEST="true",
                          HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()


def test_htmx_validation_error_returns_the_fragment_with_the_summary(client):
    client.get("/check/country/")
    response = client.post("/check/country/", {}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html and "<html" not in html


def test_expired_session_gets_a_way_forward(client, case):
    answer_all(client, {"country": "US"})
    stored = draft_of(client)
    stored["check"]["started"] = timezone.now().timestamp() - case.draft_retention_hours * 3600 - 1
    draft_put(client, stored)
    response = client.post("/check/premium/", {"premium": "yes"})
    html = response.content.decode()
    assert "no longer available" in html and "Start again" in html
    assert "Start again" in client.get("/result/").content.decode()


def test_post_without_a_session_says_answers_are_gone(client):
    response = client.post("/check/premium/", {"premium": "yes"})
    assert "no longer available" in response.content.decode()


def test_missing_csrf_token_is_refused_with_a_clear_page():
    client = Client(enforce_csrf_checks=True)
    client.get("/check/country/")
    response = client.post("/check/country/", {"country": "US"})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    assert draft_of(client)["check"]["answers"] == {}


def test_result_counts_a_finished_check_once_by_outcome(client):
    answer_all(client, {"country": "CN"})
    client.get("/result/")
    client.get("/result/")
    assert counts()["finished_not_eligible"] == 1


def test_ruled_out_people_leave_no_personal_data(client):
    answer_all(client, {"country": "EU"})
    client.get("/result/")
    assert Submission.objects.count() == 0


def test_spanish_is_offered_and_chosen_through_the_language_switch(client):
    html = client.get("/").content.decode()
    assert 'name="language" value="es"' in html
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    assert 'lang="es"' in client.get("/").content.decode()


def test_spanish_readers_get_the_spanish_status_note_when_staff_wrote_one(client, case):
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    html = client.get("/").content.decode()
    assert "desestimación voluntaria" in html
    assert "Comenzar ahora" in html
    case.status_note_es = ""
    case.save()
    assert case.status_note[:40] in unescape(client.get("/").content.decode())


def test_a_question_step_costs_one_query(client, django_assert_max_num_queries):
    client.get("/check/country/")
    client.post("/check/country/", {"country": "US"})
    # The case record, once per request; the draft is in the sealed cookie.
    with django_assert_max_num_queries(1):
        client.get("/check/premium/")
    with django_assert_max_num_queries(1):
        client.post("/check/premium/", {"premium": "yes"})


def assert_no_store(response, page: str) -> None:
    assert "no-store" in response.get("Cache-Control", ""), page
    assert "private" in response["Cache-Control"], page


def test_every_page_with_answers_or_details_says_no_store(client):
    client.get("/check/country/")
    assert_no_store(client.get("/check/country/"), "question")
    answer_all(client, ELIGIBLE_ANSWERS)
    assert_no_store(client.get("/check/answers/"), "check answers")
    client.post("/check/answers/")
    assert_no_store(client.get("/result/"), "result")
    assert_no_store(client.get("/register/"), "register")
    token = form_token(client)
    invalid = client.post("/register/", {**REGISTRATION, "email": "not-an-email",
                                          "form_token": token})
    assert invalid.status_code == 200 and "ana" in invalid.content.decode().casefold()
    assert_no_store(invalid, "register re-shown with errors")
    client.post("/register/", {**REGISTRATION, "form_token": token})
    assert_no_store(client.get("/confirmation/"), "confirmation")
