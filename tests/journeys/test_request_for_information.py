"""Journey: a reviewer asks a person for information, and the person answers (issue 19).

A real Chromium for both, a real SMTP server on loopback, a real ``db_worker`` process: the
reviewer asks → exactly one email reaches the person → they sign in at /manage/ with the
emailed code → answer (and correct when they found out) → the registration is at the top of
the reviewer's work as "Information received". Unanswered, a request is reminded once, a week
on (time is advanced by moving the request back and its task's ``run_after`` to now)."""

from __future__ import annotations

import datetime
import re
import time

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caseapp.models import InfoRequest, InfoRequestReason, Message, ReviewEvent, Submission
from tests.browser.test_staff import sign_in
from tests.chromium import watched_page
from tests.factories import NEEDS_REVIEW_ANSWERS, make_submission
from tests.staff_users import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REQUEST_SUBJECT = "The firm needs more information for your registration"
REMINDER_SUBJECT = "Reminder: the firm needs more information for your registration"




def subjects(mailbox, address: str) -> list[str]:
    return [m.message["Subject"] for m in mailbox.to(address)]


def wait_for(mailbox, address: str, subject: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in mailbox.to(address) if m.message["Subject"] == subject]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no “{subject}” for {address} within {timeout}s: "
                         f"{subjects(mailbox, address)}")


def settle(seconds: float = 2.0) -> None:
    """Give the worker time to send anything it wrongly would."""
    time.sleep(seconds)


def ask_in_browser(page, submission: Submission, reason: str, note: str) -> None:
    page.goto(f"/staff/submissions/{submission.reference}/")
    page.get_by_role("link", name="Needs information", exact=True).click()
    page.wait_for_url(re.compile("/request-information/"))
    page.get_by_label(reason).check()
    page.get_by_label("A note to the person (optional)").fill(note)
    page.get_by_role("button", name=re.compile("Send request")).click()
    page.wait_for_url(re.compile(rf"/staff/submissions/{submission.reference}/$"))
    page.get_by_text("the request was sent to the person").wait_for()


def advance_a_week(info_request: InfoRequest) -> None:
    """As if the week had passed: the request is older, and its reminder task is due."""
    InfoRequest.objects.filter(pk=info_request.pk).update(
        requested_at=timezone.now() - datetime.timedelta(days=7, hours=1))
    moved = DBTaskResult.objects.filter(
        task_path="caseapp.services.info_requests.remind_info_request",
        args_kwargs__args=[info_request.pk], status="READY").update(run_after=timezone.now())
    assert moved == 1


def test_a_request_for_information_is_answered_at_manage_and_returns_to_the_reviewer(
        browser, live_server, mail_server, worker):
    mailbox = mail_server.mailbox
    make_staff("rita", "Reviewer")
    InfoRequestReason.objects.create(
        name="Proof of InMail", public_text="A screenshot of an InMail you sent or received.",
        public_text_es="Una captura de pantalla de un InMail que envió o recibió.")
    InfoRequestReason.objects.create(name="Old reason", public_text="Old.", public_text_es="V.",
                                     active=False)
    person = "pat.person@example.org"
    submission = make_submission(full_name="Pat Person", email=person,
                                 answers=NEEDS_REVIEW_ANSWERS)
    wait_for(mailbox, person, f"Your registration: reference {submission.reference}")

    with watched_page(browser, live_server, javascript=True) as staff:
        sign_in(staff, "rita")
        staff.goto(f"/staff/submissions/{submission.reference}/request-information/")
        assert staff.get_by_label("Proof of InMail").count() == 1
        assert staff.get_by_label("Old reason").count() == 0  # disabled: not offered
        ask_in_browser(staff, submission, "Proof of InMail", "A screenshot is enough.")
        # Back, and "Send request" again: the form says a request waits, and sends nothing
        # until the reviewer ticks that they mean a second one (it emailed twice).
        staff.go_back()
        staff.wait_for_url(re.compile("/request-information/"))
        staff.locator("#info-request-waiting").wait_for()
        staff.get_by_label("Proof of InMail").check()
        staff.get_by_role("button", name=re.compile("Send request")).click()
        staff.get_by_text("Tick the box to email them another request").wait_for()
        # That refusal is a 400, as every form error is; the console reports the status.
        staff.watch.console_errors[:] = [error for error in staff.watch.console_errors
                                         if "status of 400" not in error]

        request_mail = wait_for(mailbox, person, REQUEST_SUBJECT)
        settle()
        assert subjects(mailbox, person).count(REQUEST_SUBJECT) == 1  # exactly one email
        assert "A screenshot of an InMail you sent or received." in request_mail.text
        assert "A screenshot is enough." in request_mail.text
        manage_url = re.search(r"(http://\S+/manage/)", request_mail.text).group(1)
        assert manage_url == f"{live_server.url}/manage/"

        with watched_page(browser, live_server, javascript=True,
                          viewport={"width": 375, "height": 740}) as phone:
            phone.goto(manage_url)
            phone.fill("[name=reference]", submission.reference)
            phone.fill("[name=email]", person)
            phone.get_by_role("button", name="Continue").click()
            phone.wait_for_url("**/manage/code/")
            code_mail = wait_for(mailbox, person, "Your sign-in code")
            code = re.search(r"^[ ]+(\d{6})\s*$", code_mail.text, re.M).group(1)
            phone.fill("[name=code]", code)
            phone.get_by_role("button", name="Continue").click()
            phone.wait_for_url(re.compile(r".*/manage/$"))
            main = phone.locator("main").inner_text()
            assert "What the firm needs from you" in main
            assert "A screenshot of an InMail you sent or received." in main
            phone.get_by_role("link", name="Answer the firm's request").click()
            phone.wait_for_url("**/manage/information/")
            phone.get_by_label("Your answer to the firm").fill(
                "I sent InMail to recruiters in 2023; screenshot attached to my reply.")
            phone.select_option("[name=q_inmail]", "sent")
            phone.select_option("[name=q_inmail_before_cutoff]", "yes")
            phone.select_option("[name=q_discovered]", "2025_01_21_or_later")
            phone.get_by_role("button", name="Send your answer").click()
            phone.wait_for_url(re.compile(r".*/manage/$"))
            phone.get_by_text("your answer was sent to the firm").wait_for()
            assert "Information received" in phone.locator("main").inner_text()

        submission.refresh_from_db()
        assert submission.review_status == "info_received"
        assert submission.outcome == "eligible"  # the changed answers, re-evaluated
        assert submission.answers["discovered"] == "2025_01_21_or_later"

        # At the top of the reviewer's work, as "Information received".
        staff.goto("/staff/submissions/")
        top = staff.locator("#info-received")
        assert top.get_by_role("link", name=submission.reference).count() == 1
        assert "Information received" in top.inner_text()
        first_box = top.bounding_box()
        table_box = staff.locator("table.table-queue").bounding_box()
        assert first_box["y"] < table_box["y"]
        staff.goto(f"/staff/submissions/{submission.reference}/")
        timeline = staff.locator("#timeline").inner_text()
        assert "Information requested" in timeline and "Information received" in timeline
        assert "I sent InMail to recruiters in 2023" in timeline

    # Answered: its reminder, made due, sends nothing.
    advance_a_week(InfoRequest.objects.get(submission=submission))
    settle(3)
    assert REMINDER_SUBJECT not in subjects(mailbox, person)
    assert Message.objects.filter(submission=submission, kind="info_request").count() == 1


def test_an_unanswered_request_is_reminded_once(browser, live_server, mail_server, worker):
    mailbox = mail_server.mailbox
    make_staff("rita", "Reviewer")
    InfoRequestReason.objects.create(name="Receipt", public_text="A Premium receipt.",
                                     public_text_es="Un recibo de Premium.")
    person = "quiet.person@example.org"
    submission = make_submission(email=person)
    with watched_page(browser, live_server, javascript=False) as staff:
        sign_in(staff, "rita")
        ask_in_browser(staff, submission, "Receipt", "")
    wait_for(mailbox, person, REQUEST_SUBJECT)
    info_request = InfoRequest.objects.get(submission=submission)

    advance_a_week(info_request)
    reminder = wait_for(mailbox, person, REMINDER_SUBJECT)
    assert "A Premium receipt." in reminder.text and "/manage/" in reminder.text
    # The task run again (a recovery re-enqueue, a second worker) reminds nobody twice.
    from caseapp.services.info_requests import remind_info_request
    remind_info_request.enqueue(info_request.pk)
    settle(3)
    assert subjects(mailbox, person).count(REMINDER_SUBJECT) == 1
    assert subjects(mailbox, person).count(REQUEST_SUBJECT) == 1
    assert ReviewEvent.objects.filter(submission=submission, kind="info_reminded").count() == 1
