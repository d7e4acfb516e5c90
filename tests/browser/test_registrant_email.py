"""End to end: register in Chromium, a real `db_worker` process sends through a real SMTP
server on loopback, and the person confirms, signs in at /manage/ with the emailed code,
corrects their email, takes a copy and withdraws, on a phone, in English and in Spanish."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from caseapp import crypto
from caseapp.models import AuditEvent, Message, ReviewEvent, Submission

from .conftest import assert_accessible
from .test_public_flow import ELIGIBLE, answer_all, start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



def wait_for_mail(mailbox, address: str, count: int, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        received = mailbox.to(address)
        if len(received) >= count:
            return received[count - 1]
        time.sleep(0.2)
    raise AssertionError(f"no message #{count} for {address} within {timeout}s")


def code_from(received) -> str:
    return re.search(r"^[ ]+(\d{6})\s*$", received.text, re.M).group(1)


WORDS = {
    "en": {"register": "Register with the firm", "button_register": "Register",
           "confirm": "Confirm my email address", "confirmed": "Your email address is confirmed",
           "continue": "Continue", "details": "Correct your contact details",
           "save": "Save changes", "copy": "Get a copy of what the firm holds about you",
           "json": "Download as a file (JSON)", "withdraw": "Withdraw your registration",
           "withdraw_button": "Withdraw and delete my details", "withdrawn": "You have withdrawn",
           "code_subject": "Your sign-in code"},
    "es": {"register": "Registrarse con el bufete", "button_register": "Registrarse",
           "confirm": "Confirmar mi dirección de correo electrónico",
           "confirmed": "Su dirección de correo electrónico está confirmada",
           "continue": "Continuar", "details": "Corregir sus datos de contacto",
           "save": "Guardar los cambios",
           "copy": "Obtener una copia de lo que el bufete guarda sobre usted",
           "json": "Descargar como archivo (JSON)", "withdraw": "Retirar su registro",
           "withdraw_button": "Retirar mi registro y eliminar mis datos",
           "withdrawn": "Retiró su registro",
           "code_subject": "Su código para entrar"},
}


@pytest.mark.parametrize("language", ["en", "es"])
def test_register_confirm_manage_correct_copy_and_withdraw(browser, live_server, mail_server,
                                                           worker, language, tmp_path):
    words = WORDS[language]
    first, second = f"first.{language}@example.org", f"second.{language}@example.org"
    mailbox = mail_server.mailbox
    context = browser.new_context(viewport={"width": 375, "height": 740},
                                  base_url=live_server.url, locale=language,
                                  extra_http_headers={"Accept-Language": language},
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)

    start(page) if language == "en" else page.goto("/check/country/")
    answer_all(page, ELIGIBLE) if language == "en" else _answer_all_es(page)
    page.wait_for_url("**/check/answers/")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/result/")
    page.get_by_role("link", name=words["register"]).click()
    page.fill("[name=full_name]", "Erin Endtoend")
    page.fill("[name=email]", first)
    page.fill("[name=phone]", "415 555 0177")
    page.select_option("[name=state]", "CA")
    page.check("[name=consent_contact]")
    page.check("[name=attest_true]")
    page.get_by_role("button", name=words["button_register"], exact=True).click()
    page.wait_for_url("**/confirmation/")
    reference = page.locator("[data-reference]").get_attribute("data-reference")
    assert first in page.locator("main").inner_text()
    assert_accessible(page, "confirmation")

    # The worker sends the confirmation; its link confirms the address.
    confirmation = wait_for_mail(mailbox, first, 1)
    assert reference in confirmation.message["Subject"]
    link = re.search(r"(http://\S+/email/confirm/\S+/)", confirmation.text).group(1)
    page.goto(link)
    assert_accessible(page, "confirm link")
    page.get_by_role("button", name=words["confirm"]).click()
    page.get_by_text(words["confirmed"]).wait_for()
    assert Submission.objects.get(reference=reference).email_confirmed_at is not None

    # /manage/ with the code from the email.
    page.goto("/manage/")
    assert_accessible(page, "manage sign-in")
    page.fill("[name=reference]", reference)
    page.fill("[name=email]", first)
    page.get_by_role("button", name=words["continue"]).click()
    page.wait_for_url("**/manage/code/")
    assert_accessible(page, "manage code")
    code_mail = wait_for_mail(mailbox, first, 2)
    assert code_mail.message["Subject"] == words["code_subject"]
    page.fill("[name=code]", code_from(code_mail))
    page.get_by_role("button", name=words["continue"]).click()
    page.wait_for_url(re.compile(r".*/manage/$"))
    assert reference in page.locator("main").inner_text()
    assert_accessible(page, "manage home")

    # Correct the email: the new address gets its own confirmation.
    page.get_by_role("link", name=words["details"]).click()
    page.wait_for_url("**/manage/details/")
    assert_accessible(page, "manage details")
    page.fill("[name=email]", second)
    page.get_by_role("button", name=words["save"]).click()
    page.wait_for_url(re.compile(r".*/manage/$"))
    wait_for_mail(mailbox, second, 1)
    # The old address is told at once (issue 21).
    assert reference in wait_for_mail(mailbox, first, 3).message["Subject"]
    assert Submission.objects.get(reference=reference).email == second

    # A copy, as a page and as a file.
    page.get_by_role("link", name=words["copy"]).click()
    page.wait_for_url("**/manage/copy/")
    assert second in page.locator("main").inner_text()
    assert_accessible(page, "manage copy")
    with page.expect_download() as download:
        page.get_by_role("link", name=words["json"]).click()
    copy = json.loads(Path(download.value.path()).read_text())
    assert copy["reference"] == reference and copy["contact"]["email"] == second

    # Withdraw.
    page.goto("/manage/withdraw/")
    assert_accessible(page, "manage withdraw")
    page.get_by_role("button", name=words["withdraw_button"]).click()
    page.get_by_text(words["withdrawn"]).first.wait_for()
    assert_accessible(page, "withdrawn")
    context.close()

    # Nothing personal about this person is left in the database.
    submission = Submission.objects.get(reference=reference)
    assert submission.personal_data_erased_at is not None
    assert (submission.full_name, submission.email, submission.phone) == ("", "", "")
    assert (submission.email_index, submission.name_index, submission.name_state_index) == (
        "", "", "")
    assert not Message.objects.filter(submission=submission).exclude(subject="", body="").exists()
    assert not Message.objects.filter(submission=submission, status="queued").exists()
    assert not ReviewEvent.objects.filter(submission=submission).exclude(text="").exists()
    for address in (first, second):
        index = crypto.blind_index(crypto.normalise_email(address))
        assert not Submission.objects.filter(email_index=index).exists()
    needles = ("Erin", "Endtoend", first, second, "555 0177")
    for event in AuditEvent.objects.all():
        assert not any(n in json.dumps(event.details) for n in needles)
    from django_tasks_db.models import DBTaskResult

    for task in DBTaskResult.objects.all():
        text = json.dumps(task.args_kwargs) + json.dumps(task.return_value) + task.traceback
        assert not any(n in text for n in needles)


def _answer_all_es(page):
    for key, code in ELIGIBLE:
        page.wait_for_url(f"**/check/{key}/")
        page.locator(f"input[name='{key}'][value='{code}']").check()
        page.locator("main form button[type=submit]").click()
