"""The staff workspace in a real Chromium: review, filter, export, no-JS, axe-core."""

from __future__ import annotations

import csv
import re

import pytest

from caseapp.models import ReviewEvent, Submission
from tests.factories import NEEDS_REVIEW_ANSWERS, make_submission
from tests.staff_users import PASSWORD, make_staff

from .conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username: str, *, check_a11y: bool = False) -> None:
    page.goto("/staff/login/")
    if check_a11y:
        assert_accessible(page, "sign in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/")


def test_reviewer_filters_opens_overrides_and_notes(page):
    make_staff("rita", "Reviewer")
    make_submission(full_name="Ellie Eligible")
    target = make_submission(full_name="Nadia Needs", answers=NEEDS_REVIEW_ANSWERS)

    sign_in(page, "rita", check_a11y=True)
    assert_accessible(page, "overview")
    # A Reviewer's Submissions link opens "My open items" (issue 14); this test wants them all.
    page.get_by_role("link", name="Submissions").click()
    page.wait_for_url(re.compile(r"/staff/submissions/\?review_status=open&assignee=me"))
    page.get_by_role("link", name="All submissions").click()
    page.wait_for_url(re.compile(r"/staff/submissions/\?sort=-received$"))
    assert_accessible(page, "queue")
    page.get_by_label("Automatic outcome").select_option("needs_review")
    # htmx swaps the table and puts the filter in the address bar.
    page.wait_for_url(re.compile(r"outcome=needs_review"))
    rows = page.locator("table.table-queue tbody tr")
    rows.filter(has_text="Nadia Needs").wait_for()
    assert rows.count() == 1
    assert page.get_by_text("Ellie Eligible").count() == 0

    page.get_by_role("link", name=target.reference).click()
    page.wait_for_url(re.compile(rf"/staff/submissions/{target.reference}/\?"))
    assert_accessible(page, "submission")
    page.get_by_label("Review status").select_option("in_review")
    page.get_by_label("Outcome", exact=True).select_option("not_eligible")
    page.get_by_label("Reason for the change").fill("Confirmed: never had Premium.")
    page.get_by_role("button", name="Save review").click()
    page.get_by_text("Review saved.").wait_for()
    note = page.get_by_role("textbox", name=re.compile("^Internal note"))
    note.fill("Called back, left a voicemail.")
    page.get_by_role("button", name="Add note").click()
    page.get_by_text("Note added.").wait_for()
    timeline = page.locator("#timeline")
    assert "Confirmed: never had Premium." in timeline.inner_text()
    assert "Called back, left a voicemail." in timeline.inner_text()
    assert_accessible(page, "submission after review")

    target.refresh_from_db()
    assert (target.review_status, target.outcome_override) == ("in_review", "not_eligible")
    assert ReviewEvent.objects.filter(submission=target, kind="note").count() == 1


def test_supervisor_exports_the_filtered_queue(page, tmp_path):
    make_staff("sam", "Supervisor")
    in_ny = {make_submission(state="NY").reference for _ in range(2)}
    make_submission(state="CA", full_name="=cmd|' /C calc'!A0")

    sign_in(page, "sam")
    page.goto("/staff/submissions/")
    page.get_by_text("More filters").click()  # State is one of the folded filters
    page.get_by_label("State", exact=True).select_option("NY")
    page.wait_for_url(re.compile(r"state=NY"))
    page.locator("#queue-count", has_text="2 submissions match.").wait_for()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export these as CSV").click()
    path = tmp_path / "export.csv"
    download_info.value.save_as(path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # the byte-order mark, for Excel
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["reference"] for row in rows} == in_ny
    assert {row["state"] for row in rows} == {"NY"}

    for url, label in (("/staff/case/", "case record"), ("/staff/audit/", "audit log")):
        page.goto(url)
        assert_accessible(page, label)
    assert "submission.export" in page.locator("table").inner_text() or \
        "Exported submissions" in page.locator("table").inner_text()


def test_supervisor_bulk_assigns_with_select_all(page):
    sam = make_staff("sam", "Supervisor")
    for _ in range(3):
        make_submission()
    sign_in(page, "sam")
    page.goto("/staff/submissions/")
    page.get_by_label("Select all rows on this page").check()
    page.get_by_label("Assign selected to").select_option(label="sam")
    page.get_by_role("button", name="Assign", exact=True).click()
    page.get_by_text("3 submissions changed:").wait_for()
    assert Submission.objects.filter(assignee=sam).count() == 3


def test_queue_filters_without_javascript(page_nojs):
    make_staff("rita", "Reviewer")
    make_submission(full_name="Ellie Eligible")
    make_submission(full_name="Nadia Needs", answers=NEEDS_REVIEW_ANSWERS)
    page = page_nojs
    page.goto("/staff/login/")
    page.get_by_label("Username").fill("rita")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/staff/submissions/")
    page.get_by_label("Automatic outcome").select_option("needs_review")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"outcome=needs_review"))
    assert page.get_by_text("Nadia Needs").count() == 1
    assert page.get_by_text("Ellie Eligible").count() == 0
    page.get_by_role("link", name="State").click()
    page.wait_for_url(re.compile(r"sort=state.*|.*outcome=needs_review.*sort=state"))
    assert "outcome=needs_review" in page.url


def test_hostile_public_text_stays_text_on_phone_width(phone_page):
    make_staff("rita", "Reviewer")
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    target = make_submission(full_name=hostile + " " + "W" * 200)
    page = phone_page
    sign_in(page, "rita")
    assert_accessible(page, "overview on a phone")
    page.goto("/staff/submissions/")
    assert hostile in page.locator("table.table-queue").inner_text()
    assert_accessible(page, "queue on a phone")
    page.goto(f"/staff/submissions/{target.reference}/")
    assert hostile in page.locator("#contact-name").inner_text()
    assert page.locator("img[src='x']").count() == 0
    assert_accessible(page, "submission on a phone")
