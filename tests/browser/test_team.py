"""A firm runs its team in a real Chromium (issue 20): an invitation to a first page, and
an administrator's deactivate and reset ending a colleague's live session."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from caseapp.models import SealedTOTPDevice
from tests.staff_users import PASSWORD, make_staff
from tests.test_views_staff_sign_in import current_code, enrolled_device

from .conftest import assert_accessible, watched_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "nina-chooses-a-long-passphrase-3"  # noqa: S105


def sign_in_fully(page, username: str, device: SealedTOTPDevice) -> None:
    page.goto("/staff/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/staff/two-factor/\?next="))
    page.get_by_label(re.compile("6-digit code")).fill(current_code(device))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/staff/")


@pytest.fixture
def ada(second_factor):
    return enrolled_device(make_staff("ada", "Administrator"))


def test_an_invitation_leads_to_a_password_then_enrolment_then_the_first_page(
        page, browser, live_server, ada):
    sign_in_fully(page, "ada", ada)
    page.get_by_role("link", name="Team").click()
    page.wait_for_url("**/staff/team/")
    assert_accessible(page, "team")
    page.get_by_label("Username").fill("nina")
    page.get_by_label("Work email").fill("nina@firm.example")
    page.get_by_label("Role", exact=True).select_option("Supervisor")
    page.get_by_role("button", name="Send invitation").click()
    page.get_by_text("Invitation sent to nina@firm.example.").wait_for()
    row = page.locator("tr[data-username=nina]")
    assert "Invited" in row.inner_text() and "Not set up" in row.inner_text()

    (message,) = mail.outbox
    link = re.search(r"https?://\S+(/staff/invitation/\S+/)", message.body).group(1)
    with watched_page(browser, live_server, javascript=True) as nina:
        nina.goto(link)
        assert_accessible(nina, "invitation")
        nina.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        nina.get_by_label("New password confirmation").fill(NEW_PASSWORD)
        nina.get_by_role("button", name="Set my password").click()
        nina.wait_for_url(re.compile(r"/staff/two-factor/setup/\?next="))
        assert nina.locator("svg").count() >= 1  # the QR code, drawn on the server
        device = SealedTOTPDevice.objects.get(user__username="nina", confirmed=False)
        nina.get_by_label(re.compile("6-digit code")).fill(current_code(device))
        nina.get_by_role("button", name="Verify").click()
        nina.wait_for_url(re.compile(r"/staff/two-factor/backup-codes/\?next="))
        assert nina.get_by_text("Not now").count() == 0
        nina.get_by_role("button", name="Make backup codes").click()
        assert nina.locator("ol.otp-backup-codes li").count() == 10
        nina.get_by_role("link", name="I have saved them: continue").click()
        nina.wait_for_url(re.compile(r"/staff/$"))
        assert nina.get_by_role("link", name="Case record").count() == 1  # a Supervisor
        # The link worked once (asked outside the page: a 404 is a console error there).
        used = nina.request.get(link)
        assert used.status == 404 and "This link does not work" in used.text()

    page.reload()
    row = page.locator("tr[data-username=nina]")
    assert "Active" in row.inner_text() and "Set up" in row.inner_text()


def test_reset_and_deactivate_end_a_colleagues_live_session(page, browser, live_server, ada):
    rita_device = enrolled_device(make_staff("rita", "Reviewer"))
    sign_in_fully(page, "ada", ada)
    with watched_page(browser, live_server, javascript=True) as rita:
        sign_in_fully(rita, "rita", rita_device)
        rita.goto("/staff/submissions/")
        assert rita.get_by_role("heading", name="Submissions").count() >= 1

        page.goto("/staff/team/")
        page.locator("tr[data-username=rita]").get_by_role(
            "button", name="Reset two-factor sign-in").click()
        page.get_by_text("two-factor sign-in is removed").wait_for()
        rita.reload()
        rita.wait_for_url(re.compile(r"/staff/login/\?next="))
        # Her next sign-in enrols a new phone before anything else.
        rita.get_by_label("Username").fill("rita")
        rita.get_by_label("Password").fill(PASSWORD)
        rita.get_by_role("button", name="Sign in").click()
        rita.wait_for_url(re.compile(r"/staff/two-factor/setup/\?next="))

        # Half signed in, she is deactivated: that session ends too.
        page.locator("tr[data-username=rita]").get_by_role("button", name="Deactivate").click()
        page.get_by_text("rita is deactivated and signed out everywhere.").wait_for()
        assert "Deactivated" in page.locator("tr[data-username=rita]").inner_text()
        rita.reload()
        rita.wait_for_url(re.compile(r"/staff/login/\?next="))
        rita.get_by_label("Username").fill("rita")
        rita.get_by_label("Password").fill(PASSWORD)
        rita.get_by_role("button", name="Sign in").click()
        rita.get_by_text("Please enter a correct username and password").wait_for()
