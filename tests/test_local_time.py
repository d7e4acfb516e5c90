"""caseapp.local_time: dates and times in the reader's language and the firm's time zone."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation

from caseapp.local_time import (
    clock_time,
    date_element,
    date_time,
    day_text,
    short_date_time,
    time_element,
)

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


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "Dec 4, 2026, 1:05 PM PST"), ("es", "4 dic 2026, 1:05 p. m. PST"),
])
def test_a_short_date_and_time_for_the_staff_tables(language, expected):
    with translation.override(language):
        assert short_date_time(EVENING_UTC) == expected


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "1:05:00 PM PST"), ("es", "1:05:00 p. m. PST"),
])
def test_the_audit_log_asks_for_seconds(language, expected):
    with translation.override(language):
        assert clock_time(EVENING_UTC, seconds=True) == expected


@pytest.mark.parametrize(("language", "short", "long", "axis", "weekday"), [
    ("en", "Sep 1, 2026", "September 1, 2026", "Sep 1", "Tue, Sep 1, 2026"),
    ("es", "1 sep 2026", "1 de septiembre de 2026", "1 sep", "mar 1 sep 2026"),
])
def test_a_day_in_each_style(language, short, long, axis, weekday):
    day = datetime.date(2026, 9, 1)
    with translation.override(language):
        assert [day_text(day, style) for style in ("short", "long", "axis", "weekday")] == [
            short, long, axis, weekday]


def test_a_moments_day_is_the_firms_day():
    with translation.override("en"):
        assert day_text(datetime.datetime(2026, 12, 5, 3, 0, tzinfo=UTC)) == "Dec 4, 2026"
        assert str(date_element(datetime.datetime(2026, 12, 5, 3, 0, tzinfo=UTC))) == (
            '<time datetime="2026-12-04">Dec 4, 2026</time>')


def test_the_elements_carry_iso_for_tools():
    with translation.override("es"):
        assert str(time_element(EVENING_UTC)) == (
            '<time datetime="2026-12-04T13:05:00-08:00">4 dic 2026, 1:05 p. m. PST</time>')
        assert str(date_element(datetime.date(2026, 12, 4), style="long")) == (
            '<time datetime="2026-12-04">4 de diciembre de 2026</time>')
