"""Dates and times in the reader's language and the firm's time zone (templatetags/local_time)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation

from caseapp.templatetags.local_time import clock_time, date_time

UTC = datetime.timezone.utc
# 21:05 UTC on 4 December 2026 is 1:05 p.m. in Los Angeles (PST, UTC-8).
EVENING_UTC = datetime.datetime(2026, 12, 4, 21, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def firm_in_los_angeles(settings):
    settings.TIME_ZONE = "America/Los_Angeles"


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "1:05 PM PST"), ("es", "1:05 p. m. PST"),
])
def test_a_time_reads_in_the_firms_zone_and_the_readers_language(language, expected):
    with translation.override(language):
        assert clock_time(EVENING_UTC) == expected


def test_a_morning_time_in_spanish():
    with translation.override("es"):
        assert clock_time(datetime.datetime(2026, 7, 1, 16, 30, tzinfo=UTC)) == "9:30 a. m. PDT"


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "December 4, 2026, 1:05 PM PST"),
    ("es", "4 de diciembre de 2026, 1:05 p. m. PST"),
])
def test_a_date_and_time_reads_in_the_readers_language(language, expected):
    with translation.override(language):
        assert date_time(EVENING_UTC) == expected
        # The copy of a person's data carries times as ISO text.
        assert date_time(EVENING_UTC.isoformat()) == expected


def test_the_date_is_the_firms_date_not_utcs():
    # 03:00 UTC on 5 December is still 4 December in Los Angeles.
    with translation.override("es"):
        assert date_time(datetime.datetime(2026, 12, 5, 3, 0, tzinfo=UTC)).startswith(
            "4 de diciembre de 2026, 7:00 p. m.")


def test_another_firm_zone_is_followed(settings):
    settings.TIME_ZONE = "America/New_York"
    with translation.override("es"):
        assert clock_time(EVENING_UTC) == "4:05 p. m. EST"
