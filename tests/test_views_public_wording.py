"""What the public pages say, and in what order: the case status before any amount, the time
limit, who is speaking, the privacy rights, and what a registered person sees afterwards."""

from __future__ import annotations

import datetime
import importlib
import re
from html import unescape

import pytest
from django.utils import timezone

from caseapp.models import Case

from .factories import ELIGIBLE_ANSWERS, NEEDS_REVIEW_ANSWERS
from .public_pages import REGISTRATION, answer_all, form_token

pytestmark = pytest.mark.django_db

NOT_LEGAL_ADVICE = "This check is not legal advice"
FIRM = {
    "firm_name": "Rivera & Cole LLP", "firm_address": "1 Market Street\nSan Francisco, CA 94105",
    "firm_email": "intake@rivera-cole.test", "firm_phone": "+1 415 555 0199",
    "firm_attorney": "Dana Rivera", "firm_bar_states": "California",
}


def visible_text(html: str) -> str:
    """The page's text in reading order, without tags, attributes or the head."""
    body = html.split("<body", 1)[1].split(">", 1)[1]
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def result_page(client, answers, language="en") -> str:
    if language != "en":
        client.cookies["django_language"] = language
    answer_all(client, answers)
    return client.get("/result/").content.decode()


# --- status before money ------------------------------------------------------------------

@pytest.mark.parametrize("answers", [ELIGIBLE_ANSWERS, NEEDS_REVIEW_ANSWERS])
@pytest.mark.parametrize("language", ["en", "es"])
def test_the_result_says_where_the_case_stands_before_any_amount(client, case, answers,
                                                                 language):
    text = visible_text(result_page(client, answers, language))
    status_text = case.status_text(language)
    assert status_text in text
    assert text.index(status_text) < text.index("$")
    assert "$1,000" in text


def test_the_result_leads_with_the_status_wording_staff_chose(client, case):
    case.status = Case.Status.ACTIVE
    case.status_text_active = "The case is active; nobody is a class member yet."
    case.save()
    page = result_page(client, ELIGIBLE_ANSWERS)
    assert 'data-case-status="active"' in page
    text = visible_text(page)
    assert text.index("The case is active; nobody is a class member yet.") < text.index("$")
    assert case.status_text_dismissed not in text


def test_every_case_status_has_english_and_spanish_wording(case):
    for status in Case.Status.values:
        case.status = status
        english, spanish = case.status_text("en"), case.status_text("es")
        assert english.strip(), status
        assert spanish.strip(), status
        assert english != spanish, status


def test_the_shipped_wording_says_no_class_exists_while_none_was_certified(case):
    for status in ("dismissed", "active", "refiled", "closed"):
        assert "nobody is a class member" in getattr(case, f"status_text_{status}")
    assert "30 de enero de 2025" in case.status_text_dismissed_es


def test_the_status_note_names_whose_lawyers_even_where_it_stands_alone(client, case):
    assert "The plaintiff's lawyers said LinkedIn had shown them evidence" in \
        visible_text(client.get("/").content.decode())
    Case.objects.filter(pk=case.pk).update(registration_open=False)
    answer_all(client, ELIGIBLE_ANSWERS)
    # The "Registration is closed" page shows the note without the status wording before it.
    text = visible_text(client.post("/register/", {**REGISTRATION, "form_token": "x"})
                        .content.decode())
    assert "Where the case stands: The plaintiff's lawyers said" in text
    assert "His lawyers" not in text


def test_the_note_is_replaced_only_where_staff_never_edited_it(case):
    from django.apps import apps

    migration = importlib.import_module("caseapp.migrations.0020_i21w_status_note")
    for before, after in ((migration.OLD_NOTE, migration.STATUS_NOTE),
                          ("His lawyers, as staff wrote it.", "His lawyers, as staff wrote it.")):
        Case.objects.filter(pk=case.pk).update(status_note=before)
        migration.seed(apps)
        assert Case.objects.get(pk=case.pk).status_note == after


def test_a_not_eligible_result_shows_no_amount(client):
    text = visible_text(result_page(client, {"country": "CA"}))
    assert "$" not in text
    assert "you would not have fit the proposed class" in text


def test_result_pages_say_proposed_class_and_not_legal_advice_once(client):
    for answers in (ELIGIBLE_ANSWERS, NEEDS_REVIEW_ANSWERS, {"country": "GB"}):
        text = visible_text(result_page(client, answers))
        assert text.count(NOT_LEGAL_ADVICE) == 1
        # "the proposed class", never "the class" or "in the class" (none was certified).
        assert not re.search(r"\b(in|the) class\b(?! action)", text), text
        assert "At least" not in text


@pytest.mark.parametrize("path", ["/", "/privacy/", "/check/country/"])
def test_other_public_pages_say_not_legal_advice_once(client, path):
    assert visible_text(client.get(path).content.decode()).count(NOT_LEGAL_ADVICE) == 1


def test_the_status_banner_gives_the_event_date_and_the_docket_check_not_the_save_date(
        client, case):
    # CASE_FACTS "Dates of the status": the dismissal's own date, and separately when the
    # firm last checked the docket; the record's save date is never shown as "as of".
    Case.objects.filter(pk=case.pk).update(
        status_changed_on=datetime.date(2025, 1, 30),
        docket_checked_on=datetime.date(2026, 11, 30),
        updated_at=timezone.make_aware(datetime.datetime(2026, 12, 4, 12)))
    html = client.get("/").content.decode()
    banner = visible_text("<body>" + html.split('class="status-banner', 1)[1]
                          .split("</div>", 1)[0])
    assert "Dismissed on January 30, 2025." in banner
    assert "Last checked by the firm on November 30, 2026." in banner
    assert "as of" not in banner and "December 4, 2026" not in banner
    client.cookies["django_language"] = "es"
    assert 'lang="es"' in client.get("/").content.decode()


def test_without_a_docket_check_the_banner_does_not_invent_one(client, case):
    Case.objects.filter(pk=case.pk).update(docket_checked_on=None)
    assert "Last checked by the firm" not in client.get("/").content.decode()


# --- the time limit -----------------------------------------------------------------------

def test_after_the_time_limit_the_pages_say_a_claim_may_be_too_late(client, case):
    case.sca_reference_date = datetime.date(2020, 2, 29)
    case.save()
    for page in (client.get("/").content.decode(), result_page(client, ELIGIBLE_ANSWERS)):
        text = visible_text(page)
        assert "18 U.S.C. § 2707(f)" in text
        assert "ran out on February 28, 2022" in text
        assert "may now be too late" in text and "a lawyer can tell you" in text
        assert "is too late" not in text


def test_before_the_time_limit_the_pages_give_the_date_it_runs_out(client, case):
    today = timezone.localdate()
    case.sca_reference_date = today.replace(year=today.year - 1, day=1)
    case.save()
    last_day = case.sca_reference_date.replace(year=today.year + 1)
    text = visible_text(client.get("/").content.decode())
    assert f"run out on {last_day:%B} {last_day.day}, {last_day.year}" in text
    assert "too late" not in text
    client.cookies["django_language"] = "es"
    assert "los dos años terminan el 1 de" in visible_text(client.get("/").content.decode())


# --- questions ----------------------------------------------------------------------------

def test_questions_say_how_many_there_are(client):
    assert "Question 1 of up to 7" in client.get("/check/country/").content.decode()
    answer_all(client, {k: v for k, v in ELIGIBLE_ANSWERS.items()
                        if k not in ("inmail_before_cutoff", "affiliation", "discovered")})
    assert "Question 5 of 7" in client.get("/check/inmail_before_cutoff/").content.decode()


def test_premium_and_inmail_questions_say_how_to_check(client):
    answer_all(client, {"country": "US"})
    assert "How to check" in client.get("/check/premium/").content.decode()
    answer_all(client, {"country": "US", "premium": "unsure", "premium_before_cutoff": "unsure"})
    page = client.get("/check/inmail/").content.decode()
    assert "How to check" in page and "data export" in page


def test_moving_around_august_2024_needs_the_firms_review(client):
    text = visible_text(result_page(client, {**ELIGIBLE_ANSWERS, "country": "UNSURE"}))
    assert "you might have fit the proposed class" in text
    assert "I moved around that time, or I'm not sure" in text


# --- after registering --------------------------------------------------------------------

def register(client) -> str:
    answer_all(client, ELIGIBLE_ANSWERS)
    client.post("/register/", {**REGISTRATION, "form_token": form_token(client)})
    page = client.get("/confirmation/").content.decode()
    return re.search(r'data-reference="([^"]+)"', page).group(1)


def test_back_reload_or_any_step_after_registering_shows_the_reference(client):
    reference = register(client)
    for path in ("/register/", "/result/", "/check/answers/", "/check/country/",
                 "/check/affiliation/"):
        text = visible_text(client.get(path).content.decode())
        assert f"You have already registered — reference {reference}" in text, path
        assert "Start a new check for someone else" in text
        assert "Nothing was saved" not in text
    assert reference in visible_text(client.get("/").content.decode())


def test_a_new_check_for_someone_else_starts_afresh(client):
    register(client)
    response = client.post("/new-check/")
    assert response["Location"] == "/check/country/"
    page = client.get("/check/country/").content.decode()
    assert "already registered" not in page and "Question 1" in page


# --- who is speaking ----------------------------------------------------------------------

def test_every_public_page_names_the_firm_the_attorney_and_the_label(client, case):
    Case.objects.filter(pk=case.pk).update(**FIRM)
    for path in ("/", "/privacy/", "/check/country/"):
        text = visible_text(client.get(path).content.decode())
        assert "Attorney advertising." in text
        assert "Rivera & Cole LLP" in text and "1 Market Street" in text
        assert "Responsible attorney: Dana Rivera (admitted in California)" in text
        assert "not affiliated with, or endorsed by, LinkedIn or Microsoft" in text


def test_the_advertising_label_can_be_turned_off(client, case):
    Case.objects.filter(pk=case.pk).update(advertising_label=False, **FIRM)
    assert "Attorney advertising" not in client.get("/").content.decode()


def test_the_confirmation_names_the_firm(client, case):
    Case.objects.filter(pk=case.pk).update(**FIRM)
    register(client)
    page = client.get("/confirmation/").content.decode()
    main = page.split('<main', 1)[1].split("</main>", 1)[0]
    assert "Who you registered with" in main and "Rivera &amp; Cole LLP" in main
    assert "intake@rivera-cole.test" in main


# --- privacy ------------------------------------------------------------------------------

def test_the_privacy_page_gives_retention_contact_rights_and_encryption(client, case):
    Case.objects.filter(pk=case.pk).update(purge_after_days=400, **FIRM)
    text = visible_text(client.get("/privacy/").content.decode())
    assert "until it closes its file on this case. 400 days later, it deletes" in text
    assert "there is no deletion date yet" in text
    assert "right to know" in text and "deleted" in text and "corrected" in text
    assert "LI-7K3M-Q9XP" in text and "Manage your registration" in text
    assert "stored encrypted" in text and "are not encrypted" in text
    assert "We do not sell your details or send them to other companies" in text
    main = text.split("Who to contact", 1)[1]
    assert "intake@rivera-cole.test" in main
