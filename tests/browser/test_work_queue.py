"""Work-queue mode in a real Chromium: the contract other tests rely on, a reviewer deciding
twenty submissions with the keyboard alone (page loads and keys per decision measured), the
shortcuts never firing while typing, axe-core, and screenshots at 1280 and 375 px."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from caseapp.models import AuditEvent, ReviewEvent, Submission
from tests.factories import make_submission
from tests.staff_users import make_staff

from .conftest import assert_accessible, watched_page
from .test_staff import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("CASEAPP_SHOTS", "/work/coord/shots/i14"))
SUBMISSION_URL = re.compile(r"/staff/submissions/LI-[0-9A-Z]{4}-[0-9A-Z]{4}/\?")


def shot(page, name: str) -> None:
    if SHOTS.parent.exists():
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_contract_start_reviewing_search_box_and_decide_and_next_buttons(page):
    make_staff("rita", "Reviewer")
    made = [make_submission(state="NY") for _ in range(3)]
    sign_in(page, "rita")
    page.goto("/staff/submissions/?state=NY&sort=received")
    assert page.locator("input[type='search']").count() == 1
    page.get_by_role("link", name="Start reviewing", exact=True).click()
    page.wait_for_url(SUBMISSION_URL)
    assert made[0].reference in page.url
    for name in ("Accept and next", "Reject and next", "Needs information and next"):
        assert page.get_by_role("button", name=name, exact=True).count() == 1
    assert_accessible(page, "submission in work-queue mode")
    page.get_by_role("button", name="Accept and next", exact=True).click()
    page.wait_for_url(re.compile(made[1].reference))
    page.get_by_text(f"{made[0].reference} accepted.").wait_for()
    assert Submission.objects.get(pk=made[0].pk).review_status == "accepted"


def test_a_reviewer_decides_twenty_submissions_with_the_keyboard_alone(page, capsys):
    rita = make_staff("rita", "Reviewer")
    made = [make_submission(state="NY") for _ in range(20)]
    others = [make_submission(state="CA") for _ in range(3)]
    sign_in(page, "rita")
    page.goto("/staff/submissions/?state=NY&sort=received")
    assert_accessible(page, "queue")
    shot(page, "queue-1280")

    loads = []
    page.on("request", lambda request: loads.append(request.url)
            if request.resource_type == "document" else None)
    keys = 0

    def press(key: str) -> None:
        nonlocal keys
        keys += 1
        page.keyboard.press(key)

    with page.expect_navigation():
        press("s")  # Start reviewing
    start_loads = list(loads)
    loads.clear()
    for i, submission in enumerate(made):
        assert f"/staff/submissions/{submission.reference}/" in page.url
        if i == 0:
            assert_accessible(page, "submission, keyboard run")
            shot(page, "submission-work-queue-1280")
        press("a")  # moves to "Accept and next" and asks for a second press
        assert page.evaluate("document.activeElement.textContent.trim()") == "Accept and next"
        with page.expect_navigation():
            press("a")  # Accept and next
    page.wait_for_url(re.compile(r"/staff/submissions/\?state=NY&sort=received$"))
    page.get_by_text("That was the last submission in this queue.").wait_for()

    decided = Submission.objects.filter(pk__in=[s.pk for s in made])
    assert set(decided.values_list("review_status", flat=True)) == {"accepted"}
    assert set(decided.values_list("assignee", flat=True)) == {None}
    assert {s.review_status for s in Submission.objects.filter(pk__in=[o.pk for o in others])
            } == {"new"}
    assert ReviewEvent.objects.filter(kind="status", to_value="accepted",
                                      actor=rita).count() == 20
    # One key to start, two per decision (a decision is never one key on arrival). Each
    # decision is one page load: the POST, answered
    # by a redirect, and the next submission's page it lands on (two document requests, one
    # page drawn; the twentieth lands on the queue).
    decisions = len(made)
    per_decision_keys = (keys - 1) / decisions
    pages_drawn = [url for url in loads if "/decide/" not in url]
    per_decision_loads = len(pages_drawn) / decisions
    with capsys.disabled():
        print(f"\nwork-queue keyboard run: start {len(start_loads)} document requests "
              f"(/start/ and its redirect), then {decisions} decisions: {keys - 1} keys "
              f"({per_decision_keys:.2f} per decision), {len(loads)} document requests, "
              f"{len(pages_drawn)} pages drawn ({per_decision_loads:.2f} per decision)")
    assert per_decision_keys <= 3
    assert per_decision_loads == 1


def test_shortcuts_never_fire_while_typing_and_a_reason_is_asked_for(page):
    make_staff("rita", "Reviewer")
    first, second = make_submission(state="NY"), make_submission(state="NY")
    sign_in(page, "rita")
    page.goto(f"/staff/submissions/{first.reference}/?state=NY&sort=received&wq=1")
    reason = page.get_by_role("textbox", name="Reason", exact=True)
    reason.click()
    page.keyboard.type("a r i j")  # typed text, not shortcuts
    assert reason.input_value() == "a r i j"
    assert first.reference in page.url
    reason.fill("")
    page.evaluate("document.activeElement.blur()")  # out of the field: shortcuts apply again
    page.keyboard.press("a")  # on arrival, one key decides nothing
    assert page.evaluate("document.activeElement.textContent.trim()") == "Accept and next"
    page.locator("#decide-hint", has_text="Press a again to accept.").wait_for()
    page.keyboard.press("i")  # needs information: the request form, with the queue
    page.wait_for_url(re.compile(rf"/staff/submissions/{first.reference}/request-information/"))
    first.refresh_from_db()
    assert first.review_status == "new"  # opening changes nothing (issue 19)
    assert not ReviewEvent.objects.filter(submission=first, to_value="accepted").exists()
    page.go_back()
    page.wait_for_url(re.compile(first.reference))
    with page.expect_navigation():
        page.keyboard.press("j")
    assert second.reference in page.url
    page.keyboard.press("/")  # the submission page has no search box: nothing happens
    page.keyboard.press("Shift+?")
    page.wait_for_url("**/staff/keyboard/")
    assert_accessible(page, "keyboard help")
    shot(page, "keyboard-help-1280")


def test_claim_next_unassigned_and_the_queue_at_phone_width(browser, live_server):
    make_staff("rita", "Reviewer")
    for i in range(4):
        make_submission(state="NY", full_name=f"María Phone {i}")
    with watched_page(browser, live_server, javascript=True,
                      viewport={"width": 375, "height": 740}) as page:
        sign_in(page, "rita")
        page.goto("/staff/submissions/?state=NY")
        assert_accessible(page, "queue at 375 px")
        card = page.locator("table.table-queue tbody tr").first
        box = card.bounding_box()
        assert box["width"] <= 375
        for text in ("Eligible", "New", "today"):
            assert text in card.inner_text()
        shot(page, "queue-375")
        page.get_by_role("button", name="Claim next unassigned").click()
        page.wait_for_url(SUBMISSION_URL)
        page.get_by_text("is now assigned to you.").wait_for()
        assert_accessible(page, "claimed submission at 375 px")
        shot(page, "submission-work-queue-375")
        page.get_by_role("searchbox").count()  # the submission page has none
        page.goto("/staff/submissions/?q=maria")
        assert page.locator("table.table-queue tbody tr").count() == 4
    assert AuditEvent.objects.filter(action="submission.claim").count() == 1


def test_overview_and_duplicates_side_by_side_for_an_attorney(page):
    make_staff("sam", "Supervisor")
    a = make_submission(full_name="Ada Lovelace", email="ada@example.com")
    b = make_submission(full_name="Ada Lovelace", email="ADA@example.com")
    sign_in(page, "sam")
    assert_accessible(page, "overview")
    shot(page, "overview-1280")
    page.goto(f"/staff/submissions/{b.reference}/")
    page.get_by_role("link", name="Compare side by side").click()
    page.wait_for_url(f"**/staff/submissions/{b.reference}/duplicates/")
    assert_accessible(page, "duplicates side by side")
    shot(page, "duplicates-1280")
    page.get_by_role("button", name=re.compile("Keep the chosen one")).click()
    page.wait_for_url(f"**/staff/submissions/{a.reference}/")
    assert Submission.objects.get(pk=b.pk).duplicate_of_id == a.pk
