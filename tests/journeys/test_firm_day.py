"""A firm's day, end to end: people register through the public pages, one withdraws at
/manage/ (reference and email, the emailed code, withdraw), a reviewer decides (accept, accept
as eligible, reject, mark a duplicate), a supervisor sends an update to a filtered queue, and
the export is downloaded. Asserted: what reached each mailbox, how many times (a real SMTP
server on loopback, a real ``db_worker`` process), and that the overview's figures are the
export's."""

from __future__ import annotations

import csv
import io
import re
import time
from collections import Counter
from pathlib import Path

import pytest

from caseapp.models import Submission
from tests.browser.test_public_flow import ELIGIBLE, answer_all, register_from_form, start
from tests.browser.test_staff import sign_in
from tests.staff_users import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEEDS_REVIEW = [("country", "US"), ("premium", "yes"), ("premium_before_cutoff", "yes"),
                ("inmail", "unsure"), ("inmail_before_cutoff", "unsure"), ("affiliation", "none"),
                ("discovered", "dont_remember")]
UPDATE_SUBJECT = "The case was refiled"




def register(page, answers, *, email: str, state: str) -> str:
    page.context.clear_cookies()
    start(page)
    answer_all(page, answers)
    page.wait_for_url("**/check/answers/")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/result/")
    page.get_by_role("link", name="Register with the firm").click()
    page.wait_for_url("**/register/")
    return register_from_form(page, email=email, phone="", state=state)


def wait_until(check, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError("timed out")


class Keys:
    """The keystrokes a reviewer makes, counted."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def press(self, key: str):
        self.page.keyboard.press(key)
        self.count += 1

    def type(self, text: str):
        self.page.keyboard.type(text)
        self.count += len(text)


def mail_kind(subject: str) -> str:
    """A subject without the reference it names ("Your registration: reference LI-…")."""
    return subject.split(":")[0]


def mailed(mailbox) -> Counter:
    """(address, kind of email) → how many times it arrived."""
    return Counter((address, mail_kind(m.message["Subject"])) for m in mailbox.messages
                   for address in m.envelope_to)


def withdraw_at_manage(page, mailbox, *, reference: str, email: str) -> None:
    """What the person does: /manage/, reference and email, the code from the email,
    "Withdraw your registration", confirm."""
    page.context.clear_cookies()
    page.goto("/manage/")
    page.fill("[name=reference]", reference)
    page.fill("[name=email]", email)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/manage/code/")
    wait_until(lambda: any(m.message["Subject"] == "Your sign-in code"
                           for m in mailbox.to(email)))
    [code_mail] = [m for m in mailbox.to(email) if m.message["Subject"] == "Your sign-in code"]
    page.fill("[name=code]", re.search(r"^[ ]+(\d{6})\s*$", code_mail.text, re.M).group(1))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r".*/manage/$"))
    page.get_by_role("link", name="Withdraw your registration").click()
    page.wait_for_url("**/manage/withdraw/")
    page.get_by_role("button", name="Withdraw and delete my details").click()
    page.get_by_role("heading", name="You have withdrawn").wait_for()
    page.context.clear_cookies()


def updates_to(mailbox) -> Counter:
    return Counter(address for m in mailbox.messages if m.message["Subject"] == UPDATE_SUBJECT
                   for address in m.envelope_to)


def test_a_firms_day(page, live_server, mail_server, worker):
    mailbox = mail_server.mailbox
    ana = register(page, ELIGIBLE, email="ana@example.org", state="NY")
    bea = register(page, NEEDS_REVIEW, email="bea@example.org", state="NY")
    ana_again = register(page, ELIGIBLE, email="ana@example.org", state="NY")
    dan = register(page, ELIGIBLE, email="dan@example.org", state="NY")
    eve = register(page, ELIGIBLE, email="eve@example.org", state="NY")
    fay = register(page, ELIGIBLE, email="fay@example.org", state="CA")
    # Each registration is confirmed by email, once.
    wait_until(lambda: len(mailbox.messages) == 6)
    assert Counter(a for m in mailbox.messages for a in m.envelope_to) == {
        "ana@example.org": 2, "bea@example.org": 1, "dan@example.org": 1,
        "eve@example.org": 1, "fay@example.org": 1}
    withdraw_at_manage(page, mailbox, reference=eve, email="eve@example.org")
    withdrawn = Submission.objects.get(reference=eve)
    assert withdrawn.personal_data_erased_at is not None and withdrawn.email == ""

    make_staff("rita", "Reviewer")
    sign_in(page, "rita")
    keys, decisions = Keys(page), 0

    def open_(reference):
        page.goto(f"/staff/submissions/{reference}/")
        page.wait_for_selector("#decide-form")

    for reference in (ana, fay):  # eligible: "a" moves to Accept, "a" again accepts
        open_(reference)
        keys.press("a")
        keys.press("a")
        page.wait_for_selector(".alert-success")
        decisions += 1
    open_(bea)  # needs review: Accept asks once, "as eligible?", with a reason
    keys.press("a")
    keys.press("a")
    page.get_by_role("button", name="Accept as eligible").wait_for()
    keys.type("Premium shown on a 2022 invoice")
    keys.press("Control+Enter")
    page.wait_for_selector(".alert-success")
    decisions += 1
    open_(dan)  # rejecting an eligible one asks for the reason first
    keys.press("r")
    keys.press("r")
    keys.type("Says the messages were not InMail")
    keys.press("Control+Enter")
    page.wait_for_selector(".alert-success")
    decisions += 1
    open_(ana_again)
    page.get_by_role("button", name=f"Mark this submission as a duplicate of {ana}").click()
    page.wait_for_selector(".alert-success")
    states = {s.reference: (s.review_status, s.effective_outcome, s.duplicate_of_id is not None)
              for s in Submission.objects.all()}
    assert states[ana] == ("accepted", "eligible", False)
    assert states[bea] == ("accepted", "eligible", False)
    assert states[dan] == ("rejected", "eligible", False)
    assert states[ana_again][2] is True
    keys_per_decision = keys.count / decisions
    print(f"keystrokes per decision: {keys_per_decision:.1f} ({keys.count} for {decisions})")

    # A supervisor writes to the New York registrations, from the filtered queue.
    page.context.clear_cookies()
    make_staff("sam", "Supervisor", email="sam@firm.example")
    sign_in(page, "sam")
    page.goto("/staff/submissions/?state=NY&sort=-received")
    page.get_by_role("link", name="Send an update to these").click()
    page.wait_for_url(re.compile(r"/staff/updates/new/\?state=NY"))
    for label, text in (("Subject (English)", UPDATE_SUBJECT),
                        ("Message (English)", "The case was filed again today."),
                        ("Subject (Spanish)", "El caso se volvió a presentar"),
                        ("Message (Spanish)", "Hoy se presentó de nuevo.")):
        page.get_by_label(label).fill(text)
    page.get_by_role("button", name="Count and preview").click()
    send = page.get_by_role("button", name=re.compile(r"^Send to"))
    assert send.inner_text() == "Send to 3 people"  # ana once, bea, dan
    form = page.evaluate("""() => Object.fromEntries(new FormData(
        document.querySelector("form.staff-form")))""")
    send.click()
    page.wait_for_url(re.compile(r"/staff/updates/\d+/$"))
    first = page.url
    # The same form, sent again (a double click, a reload): the same update, no new emails.
    again = page.request.post("/staff/updates/new/", form={**form, "send": "1"})
    assert again.url == first and "This update was sent already" in again.text()
    wait_until(lambda: sum(updates_to(mailbox).values()) >= 3)
    time.sleep(2)  # anything extra would have arrived by now
    assert updates_to(mailbox) == {"ana@example.org": 1, "bea@example.org": 1,
                                   "dan@example.org": 1}

    # The overview's figures are the export's.
    page.goto("/staff/")
    owed_text = page.locator(".exposure dt").first.inner_text()
    owed = int(re.search(r"registrants: ([\d,]+)", owed_text).group(1).replace(",", ""))
    exposure = int(re.sub(r"[^\d]", "", page.locator(".exposure dd").first.inner_text()))
    page.goto("/staff/submissions/?sort=-received")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export these as CSV").click()
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    damages = [int(row["estimated_damages"]) for row in rows if row["estimated_damages"]]
    assert (owed, exposure) == (3, 3000)
    assert (len(damages), sum(damages)) == (owed, exposure)
    by_ref = {row["reference"]: row for row in rows}
    assert by_ref[eve]["full_name"] == "" and by_ref[eve]["email"] == ""  # withdrawn
    assert by_ref[bea]["decided_by"] == "rita"
    assert by_ref[bea]["decision_reason"] == "Premium shown on a 2022 invoice"
    # Everything each mailbox received over the day, and how many times.
    assert mailed(mailbox) == {
        ("ana@example.org", "Your registration"): 2, ("ana@example.org", UPDATE_SUBJECT): 1,
        ("bea@example.org", "Your registration"): 1, ("bea@example.org", UPDATE_SUBJECT): 1,
        ("dan@example.org", "Your registration"): 1, ("dan@example.org", UPDATE_SUBJECT): 1,
        ("eve@example.org", "Your registration"): 1,
        ("eve@example.org", "Your sign-in code"): 1,  # withdrawn: no update
        ("fay@example.org", "Your registration"): 1}  # California: not in the audience
    print(f"overview exposure ${exposure:,} = export sum ${sum(damages):,}; "
          f"update emails per address: {dict(updates_to(mailbox))}")
