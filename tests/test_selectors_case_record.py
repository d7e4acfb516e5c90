"""caseapp.selectors.case_record."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from caseapp.models import Case, Submission
from caseapp.selectors import case_record
from caseapp.selectors.case_record import sca_flag_from
from tests.factories import ELIGIBLE_ANSWERS
from tests.public_pages import REGISTRATION, answer_all, form_token


@pytest.mark.parametrize(("reference_date", "first_flagged"), [
    (datetime.date(2024, 9, 18), datetime.date(2026, 9, 19)),
    (datetime.date(2024, 2, 29), datetime.date(2026, 3, 1)),
])
def test_sca_flag_starts_the_day_after_two_years(reference_date, first_flagged):
    case = Case(sca_reference_date=reference_date)
    start = sca_flag_from(case=case)
    assert timezone.localtime(start).date() == first_flagged
    assert timezone.localtime(start).time() == datetime.time.min


@pytest.mark.django_db
def test_public_pages_reuse_the_case_record_briefly_but_registering_reads_it_afresh(
        client, case, monkeypatch, settings):
    settings.CASEAPP_PUBLIC_CASE_MAX_AGE = 5
    clock = [1000.0]
    monkeypatch.setattr(case_record.time, "monotonic", lambda: clock[0])
    answer_all(client, ELIGIBLE_ANSWERS)
    token = form_token(client)
    # Changed behind the app's back (no save signal), as another server's edit would be:
    Case.objects.filter(pk=case.pk).update(status_note="A newer note.", registration_open=False)
    assert "A newer note." not in client.get("/").content.decode()  # the cached record
    # ...but a registration is checked against the record as it is now.
    response = client.post("/register/", {**REGISTRATION, "form_token": token})
    assert "Registration is closed" in response.content.decode()
    assert Submission.objects.count() == 0
    clock[0] += settings.CASEAPP_PUBLIC_CASE_MAX_AGE
    assert "A newer note." in client.get("/").content.decode()


@pytest.mark.django_db
def test_a_case_saved_in_this_process_shows_on_public_pages_at_once(client, case, settings):
    settings.CASEAPP_PUBLIC_CASE_MAX_AGE = 5
    client.get("/")
    case.status_note = "Saved just now."
    case.save()
    assert "Saved just now." in client.get("/").content.decode()
