"""Dates and times as the reader writes them, in the firm's time zone.

The public pages write them in full ("4 de diciembre de 2026, 1:05 p. m. PST"); the staff
pages, where they fill tables, in short ("Dec 4, 2026, 1:05 PM PST", "4 dic 2026, 1:05 p. m.
PST"), each wrapped in ``<time datetime="…">`` so that tools and tests still read ISO 8601.
The staff workspace's language is the member's own (``middleware``), so the same calls serve
both wings. The CSV export keeps ISO text: spreadsheets sort it.

The firm's time zone is ``TIME_ZONE`` (``CASEAPP_FIRM_TIME_ZONE``), the zone Django makes
current. Django's Spanish catalogue writes the meridiem "p.m." and its Spanish time format is
24-hour; U.S. Spanish writes "1:05 p. m." (shared/docs/SPANISH.md), so the meridiem is ours,
with a context so it cannot collide with Django's own "AM"/"PM". The date formats are
translated texts too: Django's own Spanish formats are "d/m/Y" or "j \\d\\e F \\d\\e Y", neither
short and unambiguous for a table.
"""

from __future__ import annotations

import datetime

from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, pgettext

Moment = datetime.datetime | str


def local(value: Moment) -> datetime.datetime:
    """A moment in the firm's time zone (ISO text too: the copy of a person's data is JSON)."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.timezone.utc)
    return timezone.localtime(value)


def _day(value: datetime.date | Moment) -> datetime.date:
    # A moment's day is the firm's day: 03:00 UTC on 5 December is 4 December in Los Angeles.
    if isinstance(value, (str, datetime.datetime)):
        return local(value).date()
    return value


def clock_time(value: Moment, *, seconds: bool = False) -> str:
    """The time of day in the firm's zone, with the zone's abbreviation: "1:05 PM PST"."""
    moment = local(value)
    meridiem = (pgettext("time of day", "PM") if moment.hour >= 12
                else pgettext("time of day", "AM"))
    clock = dateformat.format(moment, "g:i:s" if seconds else "g:i")
    return f"{clock} {meridiem} {dateformat.format(moment, 'T')}"


def long_date(value: datetime.date | Moment) -> str:
    """A date in full: "September 18, 2026", "18 de septiembre de 2026"."""
    return dateformat.format(_day(value), gettext("F j, Y"))


def date_time(value: Moment) -> str:
    """Date and time in full: "December 4, 2026, 1:05 PM PST"."""
    return f"{long_date(value)}, {clock_time(value)}"


def short_date(value: datetime.date | Moment) -> str:
    """A date for a table or a line of facts: "Dec 4, 2026", "4 dic 2026"."""
    return dateformat.format(_day(value), pgettext("date format", "M j, Y"))


def short_date_time(value: Moment, *, seconds: bool = False) -> str:
    """Date and time for a table: "Dec 4, 2026, 1:05 PM PST", "4 dic 2026, 1:05 p. m. PST"."""
    return f"{short_date(value)}, {clock_time(value, seconds=seconds)}"


def day_and_month(value: datetime.date | Moment) -> str:
    """A chart's axis label, where the year is the chart's: "Dec 4", "4 dic"."""
    return dateformat.format(_day(value), pgettext("date format", "M j"))


def weekday_date(value: datetime.date | Moment) -> str:
    """A day in a list of days: "Fri, Dec 4, 2026", "vie 4 dic 2026"."""
    return dateformat.format(_day(value), pgettext("date format", "D, M j, Y"))


DAY_STYLES = {"short": short_date, "long": long_date, "weekday": weekday_date}


def date_element(value: datetime.date | Moment, *, style: str = "short") -> SafeString:
    """``<time datetime="2026-12-04">Dec 4, 2026</time>``, in one of ``DAY_STYLES``."""
    day = _day(value)
    return format_html('<time datetime="{}">{}</time>', day.isoformat(), DAY_STYLES[style](day))


def time_element(value: Moment, *, seconds: bool = False) -> SafeString:
    """``<time datetime="2026-12-04T13:05:07-08:00">Dec 4, 2026, 1:05 PM PST</time>``."""
    moment = local(value)
    return format_html('<time datetime="{}">{}</time>', moment.isoformat(timespec="seconds"),
                       short_date_time(moment, seconds=seconds))
