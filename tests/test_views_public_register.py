"""caseapp.views.public.register: registering with the firm, and the confirmation."""

from __future__ import annotations

import re
import secrets

import pytest
from django.test import Client

from caseapp import eligibility, wording
from caseapp.models import Submission
from tests.factories import ELIGIBLE_ANSWERS, NEEDS_REVIEW_ANSWERS, draft_of
from tests.public_pages import REGISTRATION, answer_all, counts, form_token

pytestmark = pytest.mark.django_db


def test_not_eligible_person_cannot_register(client):
    answer_all(client, {"country": "CA"})
    response = client.get("/register/")
    assert response.status_code == 302 and response["Location"] == "/result/"


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


@pytest.mark.parametrize(("language", "names_the_page"), [
    ("en", "withdraw this consent at any time on the “Manage your registration” page "
           "(http://testserver.example/manage/)"),
    ("es", "Puedo retirar este consentimiento en cualquier momento en la página “Administrar su "
           "registro” (http://testserver.example/manage/)"),
])
def test_the_consent_box_names_the_manage_page_and_is_the_version_stored(
        client, settings, language, names_the_page):
    settings.CASEAPP_SITE_URL = "http://testserver.example"
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    answer_all(client, ELIGIBLE_ANSWERS)
    page = client.get("/register/").content.decode()
    label = re.search(r'<label[^>]*for="id_consent_contact"[^>]*>(.*?)</label>', page, re.S)
    assert names_the_page in re.sub(r"\s+", " ", label.group(1))
    assert "writing to the firm" not in page and "escribiéndole al bufete" not in page
    client.post("/register/", {**REGISTRATION, "form_token": form_token(client)})
    submission = Submission.objects.get()
    assert submission.consent_version == wording.CONSENT_CONTACT.version == "consent-2026-12-05.1"
    assert submission.notice_version == wording.PRIVACY_NOTICE.version


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


def test_confirmation_without_a_registration_goes_to_the_start(client):
    assert client.get("/confirmation/")["Location"] == "/"


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
    page = response.content.decode()
    assert "Try again in" in page
    # One sentence after another, the time in words: not "minutes. (after 1:05 PM PST)."
    assert re.search(r"minutes?\. You can register again from \d{1,2}:\d\d [AP]M [A-Z]+\.", page)
    assert "(after" not in page
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


def test_the_states_are_named_and_ordered_in_the_pages_language(client, case):
    answer_all(client, ELIGIBLE_ANSWERS)
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>',
                         client.get("/register/").content.decode())
    english = [label for value, label in options if value not in ("", "outside_us")]
    assert english == sorted(english) and "New York" in english
    spanish = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>',
                         client.get("/register/", HTTP_ACCEPT_LANGUAGE="es").content.decode())
    by_code = dict(spanish)
    assert by_code["NY"] == "Nueva York" and by_code["NC"] == "Carolina del Norte"
    assert by_code["outside_us"] == "Fuera de EE. UU." and spanish[-1][0] == "outside_us"
    names = [label for value, label in spanish if value not in ("", "outside_us")]
    # Nueva York under N, Míchigan beside Minnesota: the accents do not move a name.
    assert names.index("Nebraska") < names.index("Nueva York") < names.index("Ohio")
    assert names.index("Míchigan") < names.index("Minnesota")
