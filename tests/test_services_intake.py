"""caseapp.services.intake: registrations from the public."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from caseapp.models import Case, Submission
from caseapp.services.intake import (
    daily_count_increment,
    submission_indexes,
    submission_refresh_duplicate_flags,
)
from tests.factories import make_submission

pytestmark = pytest.mark.django_db


def test_new_submission_flags_itself_and_its_twin(case):
    first = make_submission(email="Twin@Example.com")
    lone = make_submission()
    second = make_submission(email=" twin@example.com ")
    for submission, flagged in ((first, True), (second, True), (lone, False)):
        submission.refresh_from_db()
        assert submission.possible_duplicate is flagged


def test_refresh_duplicate_flags_finds_shared_indexes(case):
    a, b, c = make_submission(), make_submission(), make_submission()
    Submission.objects.filter(pk=b.pk).update(email_index=a.email_index)
    Submission.objects.update(possible_duplicate=False)
    assert submission_refresh_duplicate_flags() == 2
    assert set(Submission.objects.filter(possible_duplicate=True)
               .values_list("pk", flat=True)) == {a.pk, b.pk}
    assert not Submission.objects.get(pk=c.pk).possible_duplicate


def test_indexes_match_what_registration_stores(case):
    submission = make_submission(full_name="  Ada   Lovelace ", email=" ADA@example.com ",
                                 state="NY")
    assert submission_indexes(full_name="ada lovelace", email="ada@example.com",
                              state="NY") == {
        "email_index": submission.email_index, "name_index": submission.name_index,
        "name_state_index": submission.name_state_index, "phone_index": ""}


@pytest.mark.django_db(transaction=True)
def test_only_a_lone_counter_skips_waiting_for_the_disk_never_a_registration(case):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from caseapp.models import DailyCount

    with CaptureQueriesContext(connection) as lone:
        daily_count_increment(metric=DailyCount.Metric.STARTED)
    with CaptureQueriesContext(connection) as registration:
        make_submission()
    relaxed = [q["sql"] for q in lone.captured_queries if "synchronous_commit" in q["sql"]]
    assert len(relaxed) == (1 if connection.vendor == "postgresql" else 0)
    assert not any("synchronous_commit" in q["sql"] for q in registration.captured_queries)
    assert DailyCount.objects.get(metric="started").count == 1
    assert DailyCount.objects.get(metric="registered").count == 1


def test_a_far_reference_date_written_past_the_form_breaks_no_page(supervisor_client, case):
    submission = make_submission()
    Case.objects.filter(pk=case.pk).update(sca_reference_date=datetime.date(9998, 6, 1))
    for url in (reverse("staff:queue"), reverse("staff:overview"),
                reverse("staff:queue") + "?time_limit=flagged",
                reverse("staff:submission", args=[submission.reference]),
                reverse("staff:export")):
        assert supervisor_client.get(url).status_code == 200, url
