"""At 375 px and in Spanish (the longer language), no page is wider than the phone: a page that
scrolls sideways hides the end of every line. The public pages with JavaScript on and off, from
the start page to the withdrawal page, the errors (404, 429) included; the staff pages that
hold wide tables."""

from __future__ import annotations

import re

import pytest

from caseapp.models import InfoRequestReason, StaffProfile, Submission
from caseapp.services.info_requests import info_request_send
from tests.factories import make_submission
from tests.smtp import run_worker
from tests.staff_users import make_staff

from .conftest import watched_page
from .test_public_flow import ELIGIBLE, UNSURE
from .test_staff import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
SUBMIT = "main form [type=submit]"


def fits(page, label: str) -> None:
    page.wait_for_load_state()
    width, viewport = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width <= viewport, f"{label}: {width} px wide on a {viewport} px screen"
    assert page.locator("html").get_attribute("lang") == "es", label


def error_page_seen(page, status: int) -> None:
    """A 404 or 429 page is meant here: Chromium reports its status as a console error."""
    page.watch.console_errors[:] = [
        error for error in page.watch.console_errors if f"status of {status}" not in error]


def in_spanish(page, live_server) -> None:
    page.context.add_cookies([{"name": "django_language", "value": "es",
                               "url": live_server.url}])


def answer_all(page, answers) -> None:
    for key, code in answers:
        page.wait_for_url(f"**/check/{key}/")
        fits(page, key)
        page.locator(f"input[name='{key}'][value='{code}']").check()
        page.locator(SUBMIT).click()
    page.wait_for_url("**/check/answers/")
    fits(page, "check your answers")
    page.locator(SUBMIT).last.click()
    page.wait_for_url("**/result/")


def register(page, email: str) -> None:
    page.locator("main a[href$='/register/']").first.click()
    page.wait_for_url("**/register/")
    page.fill("[name=full_name]", "María de los Ángeles Fernández-Villalobos")
    page.fill("[name=email]", email)
    page.select_option("[name=state]", "CA")
    page.check("[name=consent_contact]")
    page.check("[name=attest_true]")
    page.locator(SUBMIT).click()


def sign_in_code(mailbox, address: str) -> str:
    run_worker()
    return re.search(r"^[ ]+(\d{6})\s*$", mailbox.to(address)[-1].text, re.M).group(1)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_every_public_page_in_spanish_fits_a_phone(browser, live_server, smtp_server, settings,
                                                   javascript):
    settings.CASEAPP_REGISTRATION_RATE = "1/h"  # the second registration meets the 429 page
    email = "maria.fernandez-villalobos@example.org"
    with watched_page(browser, live_server, javascript=javascript, viewport=PHONE) as page:
        in_spanish(page, live_server)
        page.goto("/")
        fits(page, "start")
        page.locator("a.start-button").click()
        page.wait_for_url("**/check/country/")
        page.locator(SUBMIT).click()  # no answer: the error summary
        page.locator("[data-error-summary]").wait_for()
        fits(page, "question with an error")
        answer_all(page, ELIGIBLE)
        fits(page, "eligible result")
        page.locator("main a[href$='/register/']").first.click()
        page.wait_for_url("**/register/")
        page.locator(SUBMIT).click()
        page.wait_for_load_state()
        fits(page, "registration with errors")
        page.goto("/result/")
        register(page, email)
        page.wait_for_url("**/confirmation/")
        fits(page, "confirmation")
        page.goto("/privacy/")
        fits(page, "privacy")
        assert page.goto("/no-such-page/").status == 404
        fits(page, "404")
        error_page_seen(page, 404)

        submission = Submission.objects.get()
        reason = InfoRequestReason.objects.create(
            name="Premium receipt", public_text="A receipt for a Premium payment.",
            public_text_es="Un recibo de un pago de LinkedIn Premium antes del 18 de "
                           "septiembre de 2024, con la fecha y el importe a la vista.")
        info_request_send(submission=submission, actor=make_staff("rita", "Reviewer"),
                          expected_version=submission.version, reasons=[reason],
                          note="Una foto o una captura de pantalla sirve.")
        page.goto("/manage/")
        fits(page, "manage sign-in")
        page.fill("[name=reference]", submission.reference)
        page.fill("[name=email]", email)
        page.locator(SUBMIT).click()
        page.wait_for_url("**/manage/code/")
        fits(page, "code entry")
        page.fill("[name=code]", "000000")
        page.locator(SUBMIT).click()
        page.wait_for_load_state()
        fits(page, "wrong code")
        page.fill("[name=code]", sign_in_code(smtp_server, email))
        page.locator(SUBMIT).click()
        page.wait_for_url(re.compile(r".*/manage/$"))
        fits(page, "manage home")
        for path in ("/manage/information/", "/manage/details/", "/manage/copy/",
                     "/manage/withdraw/"):
            page.goto(path)
            fits(page, path)
        page.goto("/manage/information/")
        page.locator(SUBMIT).click()  # no answer: the error
        page.wait_for_load_state()
        fits(page, "information answer with an error")

    with watched_page(browser, live_server, javascript=javascript, viewport=PHONE) as page:
        in_spanish(page, live_server)
        page.goto("/check/country/")
        page.locator("input[name=country][value=GB]").check()
        page.locator(SUBMIT).click()
        page.wait_for_url("**/result/")
        fits(page, "not-eligible result")
        page.goto("/check/country/")
        answer_all(page, UNSURE)
        fits(page, "needs-review result")
        register(page, "second.person@example.org")
        page.locator("main h1").wait_for()
        assert Submission.objects.count() == 1  # refused: the network's one registration
        fits(page, "too many registrations (429)")
        error_page_seen(page, 429)


def test_staff_pages_with_wide_tables_fit_a_phone_in_spanish(browser, live_server):
    ana = make_staff("ana", "Administrator")
    make_staff("eddie", "Reviewer")
    StaffProfile.objects.update_or_create(user=ana, defaults={"language": "es"})
    InfoRequestReason.objects.create(name="Recibo", public_text="A receipt.",
                                     public_text_es="Un recibo.")
    submission = make_submission(language="es")
    with watched_page(browser, live_server, javascript=True, viewport=PHONE) as page:
        sign_in(page, "ana")
        for path in ("/staff/", "/staff/team/", "/staff/information-requests/reasons/",
                     "/staff/submissions/?sort=-received", "/staff/updates/new/", "/staff/case/",
                     "/staff/audit/", f"/staff/submissions/{submission.reference}/"):
            page.goto(path)
            fits(page, path)
