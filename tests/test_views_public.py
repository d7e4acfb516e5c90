"""The public self-check through Django's test client and the real database."""

from __future__ import annotations

import re
import secrets

import pytest
from django.test import Client
from django.utils import timezone

from caseapp import eligibility
from caseapp.models import Case, DailyCount, Submission
from caseapp.selectors import case_record

from .factories import ELIGIBLE_ANSWERS, NEEDS_REVIEW_ANSWERS, draft_of, draft_put

pytestmark = pytest.mark.django_db

REGISTRATION = {
    "full_name": "Ana María O'Brien",
    "email": "ana@example.com",
    "phone": "+1 415 555 0100",
    "state": "CA",
    "consent_contact": "on",
    "attest_true": "on",
}


def answer_all(client: Client, answers: dict[str, str]):
    client.get("/check/country/")
    response = None
    for key, code in answers.items():
        response = client.post(f"/check/{key}/", {key: code})
        assert response.status_code == 302, (key, response.content[:300])
    return response


def form_token(client: Client) -> str:
    page = client.get("/register/").content.decode()
    return re.search(r'name="form_token" value="([^"]+)"', page).group(1)


def counts() -> dict[str, int]:
    return dict(DailyCount.objects.values_list("metric", "count"))


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
        ({**ELIGIBLE_ANSWERS, "affiliation": "court_or_counsel"}, "lawyers on the case"),
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


def test_not_eligible_person_cannot_register(client):
    answer_all(client, {"country": "CA"})
    response = client.get("/register/")
    assert response.status_code == 302 and response["Location"] == "/result/"


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


def test_needs_review_person_can_register_and_gets_a_reference(client):
    answer_all(client, NEEDS_REVIEW_ANSWERS)
    client.post("/check/answers/")
    assert 'data-outcome="needs_review"' in client.get("/result/").content.decode()
    response = client.post("/register/", {**REGISTRATION, "form_token": form_token(client)})
    assert response["Location"] == "/confirmation/"
    page = client.get("/confirmation/").content.decode()
    reference = re.search(r'data-reference="([^"]+)"', page).group(1)
    assert re.fullmatch(r"LI-[2-9A-HJKMNP-TW-Z]{4}-[2-9A-HJKMNP-TW-Z]{4}", reference)
    submission = Submission.objects.get(reference=reference)
    assert submission.outcome == "needs_review"
    assert submission.estimated_damages == 1000
    assert submission.answers == NEEDS_REVIEW_ANSWERS
    assert submission.full_name == "Ana María O'Brien"
    assert submission.consent_version and submission.attestation_version
    assert submission.notice_version and submission.rules_version == eligibility.RULES_VERSION
    assert "check" not in draft_of(client)  # the draft answers are not kept after registering


def test_double_submit_creates_one_submission(client):
    answer_all(client, ELIGIBLE_ANSWERS)
    data = {**REGISTRATION, "form_token": form_token(client)}
    first = client.post("/register/", data)
    second = client.post("/register/", data)
    assert first["Location"] == second["Location"] == "/confirmation/"
    assert Submission.objects.count() == 1
    assert counts()["registered"] == 1


def test_tampered_form_token_is_refused_and_nothing_saved(client):
    answer_all(client, ELIGIBLE_ANSWERS)
    form_token(client)
    response = client.post("/register/", {**REGISTRATION, "form_token": "forged"})
    assert response.status_code == 200
    assert "out of date" in response.content.decode()
    assert Submission.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("full_name", "", "Enter your full name"),
        ("full_name", "   ", "Enter your full name"),
        ("full_name", "x" * 201, "200 characters or fewer"),
        ("full_name", "Ann\x00Example", "control characters"),
        ("full_name", "Ann\u202eelpmaxE", "control characters"),
        ("email", "not-an-email", "correct format"),
        ("email", "", "Enter your email address"),
        ("phone", "call me", "Enter a phone number"),
        ("phone", "12", "Enter a phone number"),
        ("state", "ZZ", "Choose a state from the list"),
        ("consent_contact", "", "agree that the firm may contact you"),
        ("attest_true", "", "true to the best of your knowledge"),
    ],
)
def test_registration_errors_say_what_to_do_and_save_nothing(client, field, value, message):
    answer_all(client, ELIGIBLE_ANSWERS)
    data = {**REGISTRATION, "form_token": form_token(client), field: value}
    if value == "":
        data.pop(field)
    response = client.post("/register/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert "There is a problem" in html
    assert Submission.objects.count() == 0


def test_registration_without_a_phone_is_accepted(client):
    answer_all(client, ELIGIBLE_ANSWERS)
    data = {**REGISTRATION, "form_token": form_token(client)}
    del data["phone"]
    assert client.post("/register/", data)["Location"] == "/confirmation/"
    assert Submission.objects.get().phone == ""


def test_registration_form_has_the_contract_fields(client):
    answer_all(client, ELIGIBLE_ANSWERS)
    html = client.get("/register/").content.decode()
    for name in ["full_name", "email", "phone", "consent_contact", "attest_true"]:
        assert f'name="{name}"' in html
    assert '<select name="state"' in html
    assert 'value="outside_us"' in html and 'value="CA"' in html
    assert 'value="Register"' in html


def test_closed_registration_explains_why(client, case):
    case.registration_open = False
    case.registration_closed_message = "Registration paused while the firm reviews the case."
    case.save()
    answer_all(client, ELIGIBLE_ANSWERS)
    assert "Registration paused" in client.get("/result/").content.decode()
    response = client.get("/register/")
    assert "Registration paused" in response.content.decode()
    token_page = client.post("/register/", {**REGISTRATION, "form_token": "x"})
    assert "Registration is closed" in token_page.content.decode()
    assert Submission.objects.count() == 0


def test_public_pages_reuse_the_case_record_briefly_but_registering_reads_it_afresh(
        client, case, monkeypatch, settings):
    settings.CASEAPP_PUBLIC_CASE_MAX_AGE = 5
    clock = [1000.0]
    monkeypatch.setattr(case_record.time, "monotonic", lambda: clock[0])
    answer_all(client, ELIGIBLE_ANSWERS)
    token = form_token(client)
    # Changed behind the app's back (no save signal), as another server's edit would be:
    Case.objects.filter(pk=case.pk).update(status_note="A newer note.", registration_open=False)
    assert "A newer note." not in client.get("/").content.decode()  # the cached record
    # ...but a registration is checked against the record as it is now.
    response = client.post("/register/", {**REGISTRATION, "form_token": token})
    assert "Registration is closed" in response.content.decode()
    assert Submission.objects.count() == 0
    clock[0] += settings.CASEAPP_PUBLIC_CASE_MAX_AGE
    assert "A newer note." in client.get("/").content.decode()


def test_a_case_saved_in_this_process_shows_on_public_pages_at_once(client, case, settings):
    settings.CASEAPP_PUBLIC_CASE_MAX_AGE = 5
    client.get("/")
    case.status_note = "Saved just now."
    case.save()
    assert "Saved just now." in client.get("/").content.decode()


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


def test_confirmation_without_a_registration_goes_to_the_start(client):
    assert client.get("/confirmation/")["Location"] == "/"


def test_spanish_is_offered_and_chosen_through_the_language_switch(client):
    html = client.get("/").content.decode()
    assert 'name="language" value="es"' in html
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    assert 'lang="es"' in client.get("/").content.decode()


def test_privacy_page_lists_what_is_kept(client, case):
    html = client.get("/privacy/").content.decode()
    assert "encrypted" in html and "anonymous" in html
    # Where the answers really are (caseapp/drafts.py), and for how long.
    assert "kept only in your browser" in html and "session" not in html
    assert f"expires after {case.draft_retention_hours} hours" in html
    spanish = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "solo en su navegador" in spanish
    assert f"caduca después de {case.draft_retention_hours} horas" in spanish


# --- abuse protections --------------------------------------------------------------------

def test_honeypot_filled_by_a_bot_saves_nothing(client):
    answer_all(client, ELIGIBLE_ANSWERS)
    data = {**REGISTRATION, "form_token": form_token(client), "website": "http://spam.example"}
    response = client.post("/register/", data)
    assert response.status_code == 200
    assert "could not accept this form" in response.content.decode()
    assert Submission.objects.count() == 0


def test_honeypot_is_hidden_from_people_and_screen_readers(client):
    answer_all(client, ELIGIBLE_ANSWERS)
    html = client.get("/register/").content.decode()
    assert re.search(r'class="honeypot"[^>]*aria-hidden="true"|aria-hidden="true"[^>]*'
                     r'class="honeypot"', html)
    assert 'tabindex="-1"' in html


def test_registration_faster_than_a_person_is_asked_again(client, settings):
    settings.CASEAPP_REGISTRATION_MIN_SECONDS = 60
    answer_all(client, ELIGIBLE_ANSWERS)
    data = {**REGISTRATION, "form_token": form_token(client)}
    response = client.post("/register/", data)
    assert "quicker than we expect" in response.content.decode()
    assert Submission.objects.count() == 0
    settings.CASEAPP_REGISTRATION_MIN_SECONDS = 0
    assert client.post("/register/", data)["Location"] == "/confirmation/"


def fresh_address() -> str:
    """An address no earlier run has used: a shared cache (Redis in .ci/run) keeps the counts
    of the previous run's addresses for the rest of the hour."""
    return f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}:{secrets.token_hex(2)}"


def test_too_many_registrations_from_one_ip_get_a_429_that_says_when(settings):
    settings.CASEAPP_REGISTRATION_RATE = "2/h"
    client = Client(REMOTE_ADDR=fresh_address())
    for _ in range(2):
        answer_all(client, ELIGIBLE_ANSWERS)
        data = {**REGISTRATION, "email": fresh_email(), "form_token": form_token(client)}
        assert client.post("/register/", data)["Location"] == "/confirmation/"
        client.post("/new-check/")  # the next person on the same device
    answer_all(client, ELIGIBLE_ANSWERS)
    data = {**REGISTRATION, "email": fresh_email(), "form_token": form_token(client)}
    response = client.post("/register/", data)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Try again in" in response.content.decode()
    assert Submission.objects.count() == 2
    other = Client(REMOTE_ADDR=fresh_address())
    answer_all(other, ELIGIBLE_ANSWERS)
    data = {**REGISTRATION, "email": fresh_email(), "form_token": form_token(other)}
    assert other.post("/register/", data)["Location"] == "/confirmation/"


def fresh_email() -> str:
    return f"rate.{secrets.token_hex(6)}@example.com"


def test_too_many_registrations_for_one_email_from_many_networks_get_a_429(settings):
    settings.CASEAPP_REGISTRATION_EMAIL_RATE = "2/h"
    email = fresh_email()
    for n in range(3):
        client = Client(REMOTE_ADDR=fresh_address())
        answer_all(client, ELIGIBLE_ANSWERS)
        data = {**REGISTRATION, "email": email.upper() if n else email,
                "form_token": form_token(client)}
        response = client.post("/register/", data)
    assert response.status_code == 429
    assert "for one email address" in response.content.decode()
    assert Submission.objects.count() == 2


def test_spanish_readers_get_the_spanish_status_note_when_staff_wrote_one(client, case):
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    html = client.get("/").content.decode()
    assert "desestimación voluntaria" in html
    assert "Comenzar ahora" in html
    case.status_note_es = ""
    case.save()
    assert case.status_note[:40] in client.get("/").content.decode()


def test_a_question_step_costs_one_query(client, django_assert_max_num_queries):
    client.get("/check/country/")
    client.post("/check/country/", {"country": "US"})
    # The case record, once per request; the draft is in the sealed cookie.
    with django_assert_max_num_queries(1):
        client.get("/check/premium/")
    with django_assert_max_num_queries(1):
        client.post("/check/premium/", {"premium": "yes"})


# --- issue 12: no copy of answers or details in any cache; a short confirmation -------------

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


def test_the_confirmation_is_reachable_for_30_minutes_not_72_hours(client, monkeypatch):
    import time as real_time

    from caseapp import drafts

    answer_all(client, ELIGIBLE_ANSWERS)
    client.post("/register/", {**REGISTRATION, "form_token": form_token(client)})
    cookie = client.cookies[drafts.COOKIE_NAME]
    assert int(cookie["max-age"]) == 1800
    assert client.get("/confirmation/").status_code == 200
    later = real_time.time() + 1801
    monkeypatch.setattr(drafts.time, "time", lambda: later)
    assert client.get("/confirmation/")["Location"] == "/"


# --- issue 12: the same form sent again with other details ----------------------------------

@pytest.mark.parametrize("language", ["en", "es"])
def test_a_resubmission_with_another_email_says_what_happened_and_how_to_correct(
        client, case, language):
    if language == "es":
        client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    case.firm_email = "intake@firm.example"
    case.save()
    answer_all(client, ELIGIBLE_ANSWERS)
    data = {**REGISTRATION, "form_token": form_token(client)}
    client.post("/register/", data)
    reference = Submission.objects.get().reference
    again = client.post("/register/", {**data, "email": "ana.new@example.com"})
    assert again.status_code == 200
    html = again.content.decode()
    assert f'data-reference="{reference}"' in html and "intake@firm.example" in html
    if language == "es":
        assert "Ya se registró" in html and "No cambiamos nada" in html
    else:
        assert "You have already registered" in html and "We have not changed anything" in html
    assert "no-store" in again["Cache-Control"]
    saved = Submission.objects.get()
    assert saved.email == "ana@example.com" and Submission.objects.count() == 1


def test_a_resubmission_with_the_same_details_goes_to_the_confirmation(client):
    answer_all(client, ELIGIBLE_ANSWERS)
    data = {**REGISTRATION, "form_token": form_token(client)}
    client.post("/register/", data)
    again = client.post("/register/", {**data, "email": " ANA@example.com "})
    assert again["Location"] == "/confirmation/"
