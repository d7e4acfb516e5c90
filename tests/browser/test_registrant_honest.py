"""Issue 21 in Chromium: what comes after the check is honest (status with its date, the time
limit, the firm's identity, the copy in the result page's words, retention) and hard to
abuse (address changes, codes strangers cannot block, a cookie that dies at sign-out)."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest

from caseapp.models import AuditEvent, Case, Message, Submission
from tests.smtp import run_worker

from .conftest import assert_accessible, watched_page
from .test_public_flow import ELIGIBLE, answer_all, register_from_form, start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
SHOTS = Path("/tmp/registrant_shots")


@pytest.fixture(autouse=True)
def dismissed_case_with_example_firm(db):
    Case.objects.update(
        status="dismissed", status_changed_on=datetime.date(2025, 1, 30),
        docket_checked_on=datetime.date(2026, 11, 30), sca_reference_date=datetime.date(
            2024, 9, 18), advertising_label=True, firm_is_example=True,
        firm_name="Example & Partners LLP", firm_address="1 Example Way\nSan Jose, CA 95113",
        firm_email="intake@example-firm.test", firm_attorney="Alex Example",
        firm_bar_states="California")


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def register_new(page, email: str) -> str:
    start(page)
    answer_all(page, ELIGIBLE)
    page.wait_for_url("**/check/answers/")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url("**/result/")
    page.get_by_role("link", name="Register with the firm").click()
    page.wait_for_url("**/register/")
    return register_from_form(page, email=email, phone="", state="CA")


def main_text(page) -> str:
    return re.sub(r"\s+", " ", page.locator("main").inner_text())


def code_for(mailbox, address: str) -> str:
    run_worker()
    received = [m for m in mailbox.to(address) if m.message["Subject"] == "Your sign-in code"]
    return re.search(r"^[ ]+(\d{6})\s*$", received[-1].text, re.M).group(1)


def sign_in(page, mailbox, reference: str, email: str) -> None:
    page.goto("/manage/")
    page.fill("[name=reference]", reference)
    page.fill("[name=email]", email)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/manage/code/")
    page.fill("[name=code]", code_for(mailbox, email))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r".*/manage/$"))


# --- 1, 2, 3, 6: the confirmation page and email -----------------------------------------------

@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375", "1280"])
def test_the_confirmation_says_the_status_with_its_date_and_the_time_limit(
        browser, live_server, smtp_server, viewport):
    with watched_page(browser, live_server, javascript=True, viewport=viewport) as page:
        reference = register_new(page, "Dana.Typo@example.org")
        text = main_text(page)
        # The full address the person just typed, so a typo shows; never stored by a cache.
        assert "Dana.Typo@example.org" in text
        assert "no-store" in page.request.get("/confirmation/").headers["cache-control"]
        assert "Dismissed on January 30, 2025." in text
        assert "A new claim may now be too late" in text and "September 18, 2026" in text
        assert "If the case is filed again, or a related case is brought" in text
        assert "no class exists" in text  # the status wording the case record holds
        assert "moves forward" not in text
        # Attorney advertising is in the header, seen before any scrolling.
        label = page.locator(".advertising-top")
        assert label.inner_text() == "Attorney advertising"
        box = label.bounding_box()
        assert box is not None and box["y"] + box["height"] <= viewport["height"]
        banner = page.locator(".status-banner").inner_text()
        assert "Dismissed on January 30, 2025." in banner
        assert "Last checked by the firm on November 30, 2026." in banner
        assert "as of" not in banner
        assert page.locator("meta[name=description]").get_attribute("content")
        assert_accessible(page, "confirmation")
        shot(page, f"confirmation-{viewport['width']}")

    run_worker()
    email = smtp_server.to("Dana.Typo@example.org")[0]
    assert reference in email.message["Subject"]
    lines = email.text.splitlines()
    assert "ATTORNEY ADVERTISING" in lines[:3]
    assert any(line.startswith("Example: the firm named in this email is made up")
               for line in lines[:4])
    body = " ".join(lines)
    for words in ("Dismissed on January 30, 2025.",
                  "Last checked by the firm on November 30, 2026.",
                  "A new claim may now be too late",
                  "If the case is filed again, or a related case is brought",
                  "no class exists",
                  "Example & Partners LLP (example)", "Responsible attorney: Alex Example",
                  "not affiliated with, or endorsed by, LinkedIn or Microsoft"):
        assert words in body, words
    assert "moves forward" not in body
    html = email.html
    assert html.index("ATTORNEY ADVERTISING") < html.index(reference)
    assert "not affiliated with, or endorsed by, LinkedIn or Microsoft" in html


def test_resend_the_confirmation_is_offered_and_limited(page, smtp_server, settings):
    settings.CASEAPP_CONFIRM_RESEND_RATE = "2/h"
    register_new(page, "resend@example.org")
    run_worker()
    for _n in range(2):
        page.get_by_role("button", name="Resend the confirmation").click()
        page.get_by_text("We have sent the confirmation email again").wait_for()
        run_worker()
    page.get_by_role("button", name="Resend the confirmation").click()
    page.get_by_text("We have sent the confirmation email several times").wait_for()
    run_worker()
    assert len(smtp_server.to("resend@example.org")) == 3  # the first and two more


# --- 9: a second registration with the same address --------------------------------------------

def test_a_second_registration_by_the_same_address_is_told_and_linked(
        browser, live_server, smtp_server, client):
    with watched_page(browser, live_server, javascript=True) as first:
        first_reference = register_new(first, "twice@example.org")
    with watched_page(browser, live_server, javascript=True) as second:
        second_reference = register_new(second, "Twice@Example.org")
        note = second.locator(".other-references").inner_text()
        assert first_reference in note and "withdraw one" in note
    run_worker()
    email = smtp_server.to("Twice@Example.org")[-1]
    assert second_reference in email.message["Subject"]
    assert f"This email address is also on reference {first_reference}" in email.text
    assert "To withdraw one, sign in at “Manage your registration”" in email.text
    # Staff see the two linked (the possible-duplicate flag and list).
    assert set(Submission.objects.filter(possible_duplicate=True)
               .values_list("reference", flat=True)) == {first_reference, second_reference}


# --- 6: address changes ------------------------------------------------------------------------

def test_address_changes_are_limited_told_to_the_old_address_and_not_used_until_confirmed(
        browser, live_server, smtp_server, settings):
    settings.CASEAPP_EMAIL_CHANGE_RATE = "5/h"
    with watched_page(browser, live_server, javascript=True, viewport=PHONE) as page:
        reference = register_new(page, "owner@example.org")
        sign_in(page, smtp_server, reference, "owner@example.org")
        assert "Where the case stands, and the time limit" in main_text(page)
        assert "A new claim may now be too late" in main_text(page)
        assert "moves forward" not in main_text(page)
        shot(page, "manage-375")

        # The same address, in other letters, is not a change.
        page.goto("/manage/details/")
        page.fill("[name=email]", "OWNER@example.org")
        page.get_by_role("button", name="Save changes").click()
        page.get_by_text("Nothing was changed.").wait_for()

        for n in range(5):
            page.goto("/manage/details/")
            page.fill("[name=email]", f"new{n}@example.org")
            page.get_by_role("button", name="Save changes").click()
            page.wait_for_url(re.compile(r".*/manage/$"))
        page.goto("/manage/details/")
        page.fill("[name=email]", "stranger@example.org")
        page.get_by_role("button", name="Save changes").click()
        page.get_by_text("You have changed the address too many times").first.wait_for()
        assert page.locator("[name=email]").input_value() == "stranger@example.org"
    run_worker()
    assert not smtp_server.to("stranger@example.org")
    # The old address was told at once, each time.
    notices = [m for m in smtp_server.to("owner@example.org")
               if m.message["Subject"].startswith("The email address for registration")]
    assert len(notices) == 1 and "If you did not make this change" in notices[0].text
    assert Submission.objects.get(reference=reference).email == "new4@example.org"

    # The new, unconfirmed address gets no sign-in code.
    with watched_page(browser, live_server, javascript=True) as page:
        page.goto("/manage/")
        page.fill("[name=reference]", reference)
        page.fill("[name=email]", "new4@example.org")
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url("**/manage/code/")
    run_worker()
    assert not [m for m in smtp_server.to("new4@example.org")
                if m.message["Subject"] == "Your sign-in code"]


def test_a_code_sign_in_confirms_the_address(browser, live_server, smtp_server):
    with watched_page(browser, live_server, javascript=True) as page:
        reference = register_new(page, "confirm.by.code@example.org")
        assert Submission.objects.get(reference=reference).email_confirmed_at is None
        sign_in(page, smtp_server, reference, "confirm.by.code@example.org")
        assert "(confirmed)" in main_text(page)
        assert "Resend the confirmation" not in main_text(page)
    assert Submission.objects.get(reference=reference).email_confirmed_at is not None


# --- 7: codes that strangers cannot block ------------------------------------------------------

def test_strangers_wrong_tries_do_not_block_the_right_pair_and_too_many_wrong_codes_is_said(
        browser, live_server, smtp_server, settings):
    settings.CASEAPP_MANAGE_RATE_PAIR = "5/h"
    settings.CASEAPP_MANAGE_CODE_TRIES = 5
    with watched_page(browser, live_server, javascript=True) as page:
        reference = register_new(page, "target@example.org")
    # Six strangers: the right reference with wrong addresses, the right address with wrong
    # references.
    with watched_page(browser, live_server, javascript=True) as stranger:
        for n in range(6):
            stranger.goto("/manage/")
            stranger.fill("[name=reference]", reference if n % 2 else f"LI-2345-67{n}9")
            stranger.fill("[name=email]", f"guess{n}@example.org" if n % 2
                          else "target@example.org")
            stranger.get_by_role("button", name="Continue").click()
            stranger.wait_for_url("**/manage/code/")
    with watched_page(browser, live_server, javascript=True, viewport=PHONE) as page:
        page.goto("/manage/")
        page.fill("[name=reference]", reference)
        page.fill("[name=email]", "target@example.org")
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url("**/manage/code/")
        code = code_for(smtp_server, "target@example.org")
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        for _n in range(5):
            page.fill("[name=code]", wrong)
            page.get_by_role("button", name="Continue").click()
        assert "Too many wrong codes" in main_text(page)
        page.fill("[name=code]", code)
        page.get_by_role("button", name="Continue").click()
        assert "Too many wrong codes" in main_text(page)
        shot(page, "manage-code-too-many-375")
        page.get_by_role("link", name="Not received a code? Ask for a new one").click()
        page.wait_for_url(re.compile(r".*/manage/$"))
        assert page.locator("[name=reference]").input_value() == reference
        assert page.locator("[name=email]").input_value() == "target@example.org"
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url("**/manage/code/")
        page.fill("[name=code]", code_for(smtp_server, "target@example.org"))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(re.compile(r".*/manage/$"))
        assert reference in main_text(page)


# --- 4, 8: the copy, and signing out ------------------------------------------------------------

def test_the_copy_uses_the_result_words_and_a_copied_cookie_dies_at_sign_out(
        browser, live_server, smtp_server):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(10_000)
    reference = register_new(page, "copy@example.org")
    sign_in(page, smtp_server, reference, "copy@example.org")

    page.goto("/manage/copy/")
    text = main_text(page)
    assert "you would have fit the proposed class as it was described" in text
    assert "Eligible" not in text and "$" not in text
    shot(page, "manage-copy-1280")
    copy = json.loads(page.request.get("/manage/copy.json").text())
    assert copy["what_your_answers_mean"] == (
        "From your answers, you would have fit the proposed class as it was described.")
    dumped = json.dumps(copy)
    assert "damages" not in dumped and "1000" not in dumped and "eligible" not in dumped

    # Another browser with a copy of the cookie opens the pages until the person signs out.
    thief = browser.new_context(base_url=live_server.url)
    thief.add_cookies(context.cookies())
    stolen = thief.request.get("/manage/copy.json", max_redirects=0)
    assert stolen.status == 200
    page.goto("/manage/")
    page.locator("form[action*='sign-out'] button").click()
    page.get_by_text("You are signed out.").wait_for()
    after = thief.request.get("/manage/copy.json", max_redirects=0)
    assert after.status == 302 and after.headers["location"] == "/manage/"
    assert AuditEvent.objects.filter(action="manage.signed_out").exists()
    thief.close()
    context.close()


# --- 5, 11: privacy ----------------------------------------------------------------------------

@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375", "1280"])
def test_the_privacy_page_states_retention_as_a_rule_and_withdrawal_at_manage(
        browser, live_server, viewport):
    with watched_page(browser, live_server, javascript=True, viewport=viewport) as page:
        page.goto("/privacy/")
        text = main_text(page)
        assert "until it closes its file on this case. 365 days later, it deletes" in text
        assert "there is no deletion date yet" in text
        assert "A dismissed case is not a closed file." in text
        assert "the firm keeps your reference number, your state, your answers" in text
        assert "coded form of your network address" in text
        assert "withdraw at “Manage your registration”" in text
        assert "LI-7K3M-Q9XP" in text
        assert page.locator("main a[href='/manage/']").count() >= 1
        assert page.locator("meta[name=description]").get_attribute("content")
        assert_accessible(page, "privacy")
        shot(page, f"privacy-{viewport['width']}")
    Case.objects.update(status="closed", closed_on=datetime.date(2026, 12, 1),
                        purge_after_days=30)
    with watched_page(browser, live_server, javascript=True) as page:
        page.goto("/privacy/")
        assert ("The firm closed its file on December 1, 2026. It plans to delete the details "
                "on December 31, 2026.") in main_text(page)


def test_the_consent_box_names_the_manage_page_and_its_address_in_both_languages(
        browser, live_server, settings):
    settings.CASEAPP_SITE_URL = live_server.url
    manage = f"({live_server.url}/manage/)"
    with watched_page(browser, live_server, javascript=True, viewport=PHONE) as page:
        start(page)
        answer_all(page, ELIGIBLE)
        page.wait_for_url("**/check/answers/")
        page.locator("main form button[type=submit]").last.click()
        page.get_by_role("link", name="Register with the firm").click()
        page.wait_for_url("**/register/")
        consent = page.get_by_role("checkbox", name=re.compile("withdraw this consent"))
        assert (f"I can withdraw this consent at any time on the “Manage your registration” "
                f"page {manage}.") in consent.evaluate("box => box.labels[0].innerText")
        page.get_by_text("How we use your details").click()
        assert ("You can see, correct or delete them at any time on the “Manage your "
                f"registration” page {manage}.") in main_text(page)
        page.get_by_role("button", name="Español").click()
        page.wait_for_url("**/register/")
        consent = page.get_by_role("checkbox", name=re.compile("retirar este consentimiento"))
        assert ("Puedo retirar este consentimiento en cualquier momento en la página "
                f"“Administrar su registro” {manage}.") in consent.evaluate(
                    "box => box.labels[0].innerText")
        consent.check()
        page.fill("[name=full_name]", "Persona de Prueba")
        page.fill("[name=email]", "consent@example.com")
        page.select_option("[name=state]", "CA")
        page.check("[name=attest_true]")
        page.locator("main form [type=submit]").last.click()
        page.wait_for_url("**/confirmation/")
    submission = Submission.objects.get()
    assert (submission.consent_version, submission.language) == ("consent-2026-12-05.1", "es")


def test_withdrawing_keeps_only_a_keyed_hash_of_the_network_address(
        browser, live_server, smtp_server):
    with watched_page(browser, live_server, javascript=True) as page:
        reference = register_new(page, "leave@example.org")
        sign_in(page, smtp_server, reference, "leave@example.org")
        page.goto("/manage/withdraw/")
        page.get_by_role("button", name="Withdraw and delete my details").click()
        page.get_by_text("You have withdrawn").first.wait_for()
    rows = AuditEvent.objects.filter(target=reference)
    assert rows.exists()
    for row in rows:
        assert row.ip_address is None, row.action
        assert row.ip_digest, row.action
    assert not Message.objects.filter(submission__reference=reference).exclude(
        to_address="").exists()
