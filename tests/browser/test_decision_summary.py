"""Deciding with the facts in view (issue 19), in a real Chromium at 1280×800: the summary and
the decision buttons in the first screen, the queue without horizontal overflow, and the
"Needs information" way to the request form with and without JavaScript."""

from __future__ import annotations

import datetime
import re

import pytest

from caseapp.models import InfoRequestReason, Submission
from caseapp.services.team import staff_language_set
from tests.factories import NEEDS_REVIEW_ANSWERS, make_submission
from tests.staff_users import make_staff

from .conftest import assert_accessible, watched_page
from .test_staff import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREEN = {"width": 1280, "height": 800}


@pytest.fixture
def screen(browser, live_server):
    with watched_page(browser, live_server, javascript=True, viewport=SCREEN) as page:
        yield page


def bottom(page, locator) -> float:
    box = page.locator(locator).first.bounding_box()
    assert box is not None, locator
    return box["y"] + box["height"]


def test_the_summary_and_the_buttons_are_in_the_first_screen(screen, capsys):
    make_staff("rita", "Reviewer")
    kept = make_submission(full_name="Maria Zyxwell Quorn", email="m1@example.org", state="TX",
                           phone="+1 415 555 0100")
    submission = make_submission(full_name="María Zyxwell-Quorn", email="m2@example.org",
                                 state="TX", answers={**NEEDS_REVIEW_ANSWERS,
                                                      "discovered": "2025_01_21_or_later"})
    sign_in(screen, "rita")
    screen.goto(f"/staff/submissions/{submission.reference}/?state=TX&sort=received&wq=1")
    summary = screen.locator("#decision-summary")
    text = summary.inner_text()
    assert "Needs review" in text and "InMail: I'm not sure (unsure)" in text
    assert kept.reference in text and "name and state" in text and "Compare" in text
    assert "Not confirmed" in text
    assert "On or after January 21, 2025" in text and "January 21, 2027" in text
    bottoms = {locator: bottom(screen, locator) for locator in (
        "#decision-summary", "button[value='accepted:next']", "button[value='rejected:next']",
        "button[value='needs_info:next']")}
    with capsys.disabled():
        print(f"\nat 1280x800, bottoms (px): {bottoms}")
    assert all(value <= SCREEN["height"] for value in bottoms.values()), bottoms
    # Scrolled to the top: nothing of it was below the fold.
    assert screen.evaluate("window.scrollY") == 0
    assert_accessible(screen, "submission with its summary")


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_queue_fits_1280_pixels(screen, language):
    staff_language_set(user=make_staff("rita", "Reviewer"), language=language)
    for n in range(30):
        made = make_submission(full_name=f"Bartholomew Featherstonehaugh-Cholmondeley {n}",
                               state="NY")
        # The longest dates each language writes: "Dec 12, 2026, 12:55 PM PST", "12 dic …".
        Submission.objects.filter(pk=made.pk).update(
            created_at=datetime.datetime(2026, 11, 12 + n % 10, 20, 55, tzinfo=datetime.UTC))
    sign_in(screen, "rita")
    screen.goto("/staff/submissions/?sort=received")
    widths = screen.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth,"
        " document.querySelector('table.table-queue').closest('.table-responsive, main')"
        ".scrollWidth, document.querySelector('table.table-queue').closest("
        "'.table-responsive, main').clientWidth]")
    page_scroll, page_width, table_scroll, table_width = widths
    assert page_scroll <= page_width, widths
    assert table_scroll <= table_width, widths


@pytest.mark.parametrize("javascript", [True, False])
def test_needs_information_leads_to_the_request_form(browser, live_server, javascript):
    make_staff("rita", "Reviewer")
    InfoRequestReason.objects.create(name="Receipt", public_text="A receipt.",
                                     public_text_es="Un recibo.")
    submission = make_submission(email="who@example.org")
    with watched_page(browser, live_server, javascript=javascript, viewport=SCREEN) as page:
        sign_in(page, "rita")
        page.goto(f"/staff/submissions/{submission.reference}/")
        page.get_by_role("link", name="Needs information", exact=True).click()
        page.wait_for_url(re.compile("/request-information/"))
        page.get_by_label("Receipt").check()
        page.get_by_role("button", name=re.compile("Send request")).click()
        page.wait_for_url(re.compile(rf"/staff/submissions/{submission.reference}/$"))
    assert Submission.objects.get(pk=submission.pk).review_status == "needs_info"
