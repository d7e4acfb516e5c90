"""Asking many people for information from the queue (issue 19), in a real Chromium with a
real SMTP server on loopback and a real ``db_worker``: one request and one email to each
selected person, once even if the form is sent twice, nobody who already waits for an answer
asked again; and no way on the staff pages sets "needs information" without a request."""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode

import pytest

from caseapp.models import InfoRequestReason, Submission
from caseapp.services.info_requests import info_request_send
from tests.factories import make_submission
from tests.staff_users import make_staff

from .conftest import assert_accessible, watched_page
from .test_staff import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REQUEST_SUBJECT = "The firm needs more information for your registration"


def requests_to(mailbox, address: str) -> int:
    return sum(1 for m in mailbox.to(address) if m.message["Subject"] == REQUEST_SUBJECT)


def wait_until(check, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def needs_info_without_an_open_request() -> list[str]:
    """The invariant: a submission waiting for information has the request it waits on."""
    return list(Submission.objects.filter(review_status="needs_info")
                .exclude(info_requests__answered_at__isnull=True)
                .values_list("reference", flat=True))


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_the_queue_asks_each_selected_person_once(browser, live_server, mail_server, worker,
                                                  javascript):
    mailbox = mail_server.mailbox
    sam = make_staff("sam", "Supervisor")
    reason = InfoRequestReason.objects.create(
        name="Proof of Premium", public_text="A receipt showing you paid for Premium.",
        public_text_es="Un recibo que muestre que pagó Premium.")
    people = {f"p{n}@example.org": make_submission(email=f"p{n}@example.org", state="NV")
              for n in range(3)}
    waiting = make_submission(email="waiting@example.org", state="NV")
    info_request_send(submission=waiting, actor=sam, expected_version=waiting.version,
                      reasons=[reason])
    wait_until(lambda: requests_to(mailbox, "waiting@example.org") == 1)

    with watched_page(browser, live_server, javascript=javascript) as page:
        sign_in(page, "sam")
        page.goto("/staff/submissions/?state=NV&sort=received")
        decide = page.locator("select[name=review_status]").last
        assert decide.locator("option[value=needs_info]").count() == 0
        for submission in (*people.values(), waiting):
            page.get_by_label(f"Select {submission.reference}").check()
        page.get_by_role("button", name="Ask for information…").click()
        page.wait_for_url("**/submissions/bulk/request-information/")
        if javascript:  # the checker runs as a script in the page
            assert_accessible(page, "ask the selected people for information")
        assert waiting.reference in page.locator("#left-out").inner_text()
        page.get_by_label("Proof of Premium").check()
        page.get_by_label("A note to the person (optional)").fill("A card statement will do.")
        send = page.get_by_role("button", name=re.compile("^Send request"))
        assert send.inner_text() == "Send request to 3 people"
        sent_form = page.locator("#info-request-form")
        fields = [(field.get_attribute("name"), field.get_attribute("value") or "")
                  for field in sent_form.locator("input[type=hidden]").all()]
        fields += [("reasons", str(reason.pk)), ("note", "A card statement will do."),
                   ("send_request", "")]
        send.click()
        page.wait_for_url(re.compile(r"/staff/submissions/\?state=NV&sort=received$"))
        assert "sent to 3 people, one email each" in page.locator(".alert-success").inner_text()
        # The same form again (a double click, a reload): nothing more is sent.
        again = page.request.post(
            "/staff/submissions/bulk/request-information/", data=urlencode(fields),
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert again.ok and "nothing was sent again" in again.text()

        wait_until(lambda: all(requests_to(mailbox, address) for address in people))
        time.sleep(2)  # anything extra would have arrived by now
        assert {address: requests_to(mailbox, address) for address in (*people,
                                                                         "waiting@example.org")
                } == {**dict.fromkeys(people, 1), "waiting@example.org": 1}
        for address in people:
            [mail] = [m for m in mailbox.to(address) if m.message["Subject"] == REQUEST_SUBJECT]
            assert "A receipt showing you paid for Premium." in mail.text
            assert "A card statement will do." in mail.text

        # The review form on a submission's page offers no "needs information" either.
        other = make_submission(state="NV")
        page.goto(f"/staff/submissions/{other.reference}/")
        assert page.locator("#review-form option[value=needs_info]").count() == 0
        assert page.get_by_role("link", name="the request form").count() == 1
    assert set(Submission.objects.filter(review_status="needs_info")
               .values_list("reference", flat=True)) == {
        *(s.reference for s in people.values()), waiting.reference}
    assert needs_info_without_an_open_request() == []

