"""The public self-check in a real Chromium: with and without JavaScript, checked by axe-core."""

from __future__ import annotations

import re

import pytest

from caseapp.models import Submission

from .conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ELIGIBLE = [("country", "US"), ("premium", "yes"), ("premium_before_cutoff", "yes"),
            ("inmail", "both"), ("inmail_before_cutoff", "yes"), ("affiliation", "none"),
            ("discovered", "dont_remember")]
UNSURE = [("country", "OTHER"), ("premium", "unsure"), ("premium_before_cutoff", "unsure"),
          ("inmail", "unsure"), ("inmail_before_cutoff", "unsure"), ("affiliation", "none"),
          ("discovered", "2025_01_21_or_later")]


def start(page):
    page.goto("/")
    page.get_by_text("Start now").click()
    page.wait_for_url("**/check/country/")


def answer(page, key, code):
    page.wait_for_selector(f"input[name='{key}']")
    page.locator(f"input[name='{key}'][value='{code}']").check()
    page.get_by_role("button", name="Continue").click()


def answer_all(page, answers, *, check_a11y=False):
    for key, code in answers:
        page.wait_for_url(f"**/check/{key}/")
        if check_a11y:
            assert_accessible(page, key)
        answer(page, key, code)


def register(page, *, email="person@example.com"):
    page.get_by_role("link", name="Register with the firm").click()
    page.wait_for_url("**/register/")
    return register_from_form(page, email=email, phone="415 555 0100", state="NY")


def register_from_form(page, *, email="axe@example.com", phone="", state="outside_us"):
    page.fill("[name=full_name]", "Test Person")
    page.fill("[name=email]", email)
    page.fill("[name=phone]", phone)
    page.select_option("[name=state]", state)
    page.check("[name=consent_contact]")
    page.check("[name=attest_true]")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url("**/confirmation/")
    return page.locator("[data-reference]").get_attribute("data-reference")


def result_main(page):
    page.wait_for_url("**/result/")
    return page.locator("[data-outcome]")


@pytest.fixture(params=["js", "nojs"])
def any_page(request):
    return request.getfixturevalue("page" if request.param == "js" else "page_nojs")


def test_eligible_person_reaches_the_confirmation(any_page):
    page = any_page
    start(page)
    answer_all(page, ELIGIBLE)
    page.wait_for_url("**/check/answers/")
    page.get_by_role("button", name="Continue").click()
    main = result_main(page)
    assert main.get_attribute("data-outcome") == "eligible"
    assert main.get_attribute("data-estimated-damages") == "1000"
    reference = register(page, email="eligible@example.com")
    assert re.fullmatch(r"LI-[A-Z2-9]{4}-[A-Z2-9]{4}", reference)
    submission = Submission.objects.get(reference=reference)
    assert submission.outcome == "eligible" and submission.email == "eligible@example.com"


def test_ruled_out_person_sees_the_reason_and_can_change_it(any_page):
    page = any_page
    start(page)
    answer(page, "country", "CA")
    main = result_main(page)
    assert main.get_attribute("data-outcome") == "not_eligible"
    assert main.get_attribute("data-estimated-damages") == "0"
    assert "Canada" in main.inner_text()
    assert page.get_by_role("link", name="Register with the firm").count() == 0
    page.get_by_role("link", name=re.compile("Change this answer")).click()
    page.wait_for_url("**/check/country/?change=1")
    answer(page, "country", "US")
    page.wait_for_url("**/check/premium/")
    assert Submission.objects.count() == 0


def test_not_sure_person_reaches_the_confirmation(any_page):
    page = any_page
    start(page)
    answer_all(page, UNSURE)
    page.wait_for_url("**/check/answers/")
    page.get_by_role("button", name="Continue").click()
    main = result_main(page)
    assert main.get_attribute("data-outcome") == "needs_review"
    assert main.get_attribute("data-estimated-damages") == "1000"
    reference = register(page, email="unsure@example.com")
    assert Submission.objects.get(reference=reference).outcome == "needs_review"


def test_change_from_check_answers_returns_there(any_page):
    page = any_page
    start(page)
    answer_all(page, ELIGIBLE)
    page.wait_for_url("**/check/answers/")
    page.get_by_role("link", name=re.compile(r"Change\s+While you had Premium")).click()
    answer(page, "inmail", "sent")
    page.wait_for_url("**/check/answers/")
    assert "I sent InMail" in page.locator("[data-key=inmail]").inner_text()


def test_missing_answer_shows_the_error_summary_and_focuses_it(any_page):
    page = any_page
    start(page)
    page.get_by_role("button", name="Continue").click()
    summary = page.locator("[data-error-summary]")
    summary.wait_for()
    assert "There is a problem" in summary.inner_text()
    page.wait_for_function("document.activeElement && "
                           "document.activeElement.hasAttribute('data-error-summary')")
    assert page.title().startswith("Error:")
    summary.get_by_role("link").click()
    assert page.evaluate("document.activeElement.id") == "id_country_0"


def test_with_javascript_htmx_swaps_the_question_and_history_works(page):
    start(page)
    page.evaluate("window.__sameDocument = true")
    answer(page, "country", "US")
    page.wait_for_url("**/check/premium/")
    # The same document: htmx swapped only the main area and pushed the URL.
    assert page.evaluate("window.__sameDocument") is True
    assert page.title().startswith("Have you ever paid")
    page.wait_for_function("document.activeElement.tagName === 'H1'")
    page.go_back()
    page.wait_for_url("**/check/country/")
    page.locator("input[name=country][value=US]").wait_for()
    assert page.locator("input[name=country][value=US]").is_checked()
    page.reload()
    assert page.locator("h1").inner_text().startswith("In August and September 2024")


def test_every_public_page_has_no_axe_violations(page):
    page.goto("/")
    assert_accessible(page, "start")
    page.get_by_text("Start now").click()
    page.wait_for_url("**/check/country/")
    page.get_by_role("button", name="Continue").click()
    page.locator("[data-error-summary]").wait_for()
    assert_accessible(page, "question error")
    answer_all(page, UNSURE, check_a11y=True)
    page.wait_for_url("**/check/answers/")
    assert_accessible(page, "check answers")
    page.get_by_role("button", name="Continue").click()
    result_main(page)
    assert_accessible(page, "result")
    page.get_by_role("link", name="Register with the firm").click()
    page.wait_for_url("**/register/")
    assert_accessible(page, "register")
    page.get_by_role("button", name="Register").click()
    page.locator("[data-error-summary]").wait_for()
    assert_accessible(page, "register errors")
    page.goto("/register/")
    register_reference = register_from_form(page)
    assert register_reference
    assert_accessible(page, "confirmation")
    page.goto("/privacy/")
    assert_accessible(page, "privacy")


def test_ruled_out_result_and_phone_layout_have_no_axe_violations(phone_page):
    page = phone_page
    start(page)
    assert_accessible(page, "question on a phone")
    answer(page, "country", "GB")
    result_main(page)
    assert_accessible(page, "not eligible result on a phone")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert overflow is False


def test_double_click_on_register_creates_one_submission(page):
    start(page)
    answer_all(page, ELIGIBLE)
    page.wait_for_url("**/check/answers/")
    page.get_by_role("button", name="Continue").click()
    result_main(page)
    page.get_by_role("link", name="Register with the firm").click()
    page.fill("[name=full_name]", "Double Click")
    page.fill("[name=email]", "double@example.com")
    page.select_option("[name=state]", "TX")
    page.check("[name=consent_contact]")
    page.check("[name=attest_true]")
    page.get_by_role("button", name="Register").dblclick()
    page.wait_for_url("**/confirmation/")
    page.go_back()
    page.wait_for_load_state()
    assert Submission.objects.count() == 1


def test_spanish_speakers_can_switch_language(page):
    page.goto("/")
    page.get_by_role("button", name="Español").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "es"
