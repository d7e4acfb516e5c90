"""caseapp.management.commands.purge_expired: the daily retention run."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from caseapp.models import Submission

from .factories import close_case, make_submission

pytestmark = pytest.mark.django_db


def test_purge_expired_command_reports_counts(case):
    make_submission()
    close_case(case, days_ago=31)
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert "submissions erased: 1" in out.getvalue()


def test_the_report_counts_expired_sign_ins_and_says_nothing_of_a_hold_when_none(case):
    Session.objects.create(session_key="old", session_data="",
                           expire_date=timezone.now() - datetime.timedelta(hours=1))
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert out.getvalue() == "expired sessions deleted: 1; submissions erased: 0\n"


def test_a_case_on_legal_hold_is_reported_as_skipped_and_kept(case):
    make_submission(full_name="Held Claimant")
    close_case(case, days_ago=400, hold=True)
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert out.getvalue() == ("expired sessions deleted: 0; submissions erased: 0; "
                              "erasure skipped: the case is on legal hold\n")
    assert Submission.objects.get().full_name == "Held Claimant"
