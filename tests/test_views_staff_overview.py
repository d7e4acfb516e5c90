"""caseapp.views.staff.overview: the overview."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from caseapp.models import Submission
from tests.factories import NEEDS_REVIEW_ANSWERS, make_submission
from tests.staff_pages import _make_many
from tests.staff_users import make_staff

pytestmark = pytest.mark.django_db


def test_overview_counts_outcomes_statuses_funnel_and_exposure(reviewer_client, case):
    make_submission()
    accepted = make_submission()
    Submission.objects.filter(pk=accepted.pk).update(review_status="accepted")
    make_submission(answers=NEEDS_REVIEW_ANSWERS)
    make_submission(answers=NEEDS_REVIEW_ANSWERS)
    response = reviewer_client.get(reverse("staff:overview"))
    counts = response.context["counts"]
    assert counts["total"] == 4
    assert dict((v, n) for v, _label, n in counts["by_outcome"])["needs_review"] == 2
    assert dict((v, n) for v, _label, n in counts["by_status"])["accepted"] == 1
    assert response.context["exposure"] == {"per_person": 1000, "low": 1000, "high": 3000}
    assert dict((v, n) for v, _l, n in response.context["funnel"])["registered"] == 4
    html = response.content.decode()
    assert "$1,000" in html and "$3,000" in html
    assert "2707(c)" in html and "not a promise" in html
    assert "<svg" in html and html.count('class="chart-bar"') == 26


def test_overview_chart_puts_registrations_in_their_week(reviewer_client, case):
    from caseapp.models import DailyCount

    make_submission()  # counted today, in the registration's own transaction
    DailyCount.objects.create(day=timezone.localdate() - datetime.timedelta(weeks=3),
                              metric="registered", count=5)
    weeks = reviewer_client.get(reverse("staff:overview")).context["weeks"]
    assert [w.count for w in weeks][-4:] == [5, 0, 0, 1]
    assert sum(w.count for w in weeks) == 6


@pytest.mark.parametrize("rows", [3, 30])
def test_overview_query_count_does_not_grow(reviewer_client, reviewer, case, rows,
                                            django_assert_max_num_queries):
    _make_many(rows, reviewer)
    # The session, the user, the access query; the tally and (issue 14) the accepted
    # duplicates; the weeks; one statement for the six bounded ageing counts; the decision
    # counters; the oldest; the funnel; the case record.
    with django_assert_max_num_queries(11):
        response = reviewer_client.get(reverse("staff:overview"))
    assert response.status_code == 200


def test_exposure_counts_only_accepted_eligible_registrants_not_marked_duplicate(
        reviewer_client, reviewer, case):
    """Issue 11: an accepted submission overridden to "needs review", or marked as another's
    duplicate, cannot be owed the minimum; the overview says registrants, never members."""
    counted, duplicate, original, unsure = (make_submission() for _ in range(4))
    Submission.objects.filter(pk__in=[counted.pk, duplicate.pk, original.pk, unsure.pk]
                              ).update(review_status="accepted")
    Submission.objects.filter(pk=duplicate.pk).update(duplicate_of=original)
    Submission.objects.filter(pk=unsure.pk).update(outcome_override="needs_review")
    response = reviewer_client.get(reverse("staff:overview"))
    assert response.context["counts"]["owed"] == 2
    assert response.context["exposure"]["low"] == 2000
    html = response.content.decode()
    assert "Accepted eligible registrants: 2 ×" in html
    assert "(2 of the 4 accepted submissions)" in html
    assert "member" not in html.lower().replace("staff member", "")
    effective = {v: n for v, _l, n in response.context["counts"]["by_effective_outcome"]}
    assert (effective["eligible"], effective["needs_review"]) == (3, 1)


def test_an_accepted_registrant_who_withdraws_leaves_the_exposure_and_the_export(
        reviewer_client, supervisor_client, case):
    """Tried as a supervisor would: a withdrawn registration stayed "Accepted" and still added
    $1,000 to the overview and to the export's damages column."""
    from caseapp.services.registrant import submission_withdraw

    staying, leaving = (make_submission() for _ in range(2))
    Submission.objects.filter(pk__in=[staying.pk, leaving.pk]).update(review_status="accepted")
    submission_withdraw(submission=Submission.objects.get(pk=leaving.pk))
    response = reviewer_client.get(reverse("staff:overview"))
    assert response.context["counts"]["owed"] == 1
    assert response.context["exposure"]["low"] == 1000
    export = b"".join(supervisor_client.get(reverse("staff:export")).streaming_content).decode(
        "utf-8-sig")
    rows = {row["reference"]: row for row in csv.DictReader(io.StringIO(export))}
    assert rows[staying.reference]["estimated_damages"] == "1000"
    assert rows[leaving.reference]["estimated_damages"] == ""
    assert rows[leaving.reference]["review_status"] == "accepted"


def test_overview_ages_open_submissions_and_lists_the_oldest_first(reviewer_client, case):
    now = timezone.now()
    ages = {"fresh": 1, "week": 5, "old": 40, "ancient": 100, "decided": 90}
    made = {}
    for label, days in ages.items():
        made[label] = make_submission()
        Submission.objects.filter(pk=made[label].pk).update(
            created_at=now - datetime.timedelta(days=days, hours=1))
    Submission.objects.filter(pk=made["decided"].pk).update(review_status="rejected")
    Submission.objects.filter(pk=made["week"].pk).update(review_status="needs_info")
    response = reviewer_client.get(reverse("staff:overview"))
    counts = [(b.first_day, b.count) for b in response.context["ageing"]]
    assert counts == [(0, 1), (3, 1), (8, 0), (15, 0), (31, 1), (61, 1)]
    assert [row.reference for row in response.context["oldest"]] == [
        made[k].reference for k in ("ancient", "old", "week", "fresh")]
    html = response.content.decode()
    assert "61 days or more" in html and "How long open submissions have waited" in html


def test_overview_counts_decisions_per_reviewer_per_day(reviewer_client, reviewer, case):
    from caseapp.models import InfoRequestReason
    from caseapp.services.info_requests import info_request_send
    from caseapp.services.review import submission_bulk_update, submission_decide

    other = make_staff("otto", "Reviewer")
    first, second, third = (make_submission() for _ in range(3))
    submission_decide(submission=first, actor=reviewer, expected_version=1, decision="accepted")
    info_request_send(  # asking for information counts as a decision too
        submission=second, actor=reviewer, expected_version=1, note="Which account?",
        reasons=[InfoRequestReason.objects.create(name="Account", public_text="Account",
                                                  public_text_es="Cuenta")])
    submission_bulk_update(actor=other, references=[third.reference], action="status",
                           review_status="accepted")
    response = reviewer_client.get(reverse("staff:overview"))
    rows = {row.reviewer: row for row in response.context["throughput"]}
    assert rows["rita"].by_decision == {"accepted": 1, "needs_info": 1}
    assert rows["rita"].per_day[-1] == 2 and rows["otto"].total == 1
    assert len(response.context["throughput_days"]) == 30
    assert "Decisions per reviewer, last 30 days" in response.content.decode()


def test_the_charts_coordinates_are_numbers_in_spanish_too(reviewer_client, reviewer, case):
    # Spanish writes 51,9 for 51.9; an SVG attribute must not (Chromium drew no bars).
    from caseapp.services.team import staff_language_set

    staff_language_set(user=reviewer, language="es")
    make_submission()
    html = reviewer_client.get(reverse("staff:overview")).content.decode()
    assert '<html lang="es"' in html and html.count('class="chart-bar"') == 26
    attributes = re.findall(r'\b(?:x|y|width|height|viewBox)="([^"]*)"',
                            html.split("<svg", 1)[1].rsplit("</svg>", 1)[0])
    assert attributes and not [value for value in attributes if "," in value]
