"""Dates and times as the reader writes them, in the firm's time zone: ``clock_time`` and
``date_time`` ("1:05 p. m. PST", "4 de diciembre de 2026, 1:05 p. m. PST").

The firm's time zone is ``TIME_ZONE`` (``CASEAPP_FIRM_TIME_ZONE``), the zone Django makes
current. Django's Spanish catalogue writes the meridiem "p.m." and its Spanish time format is
24-hour; U.S. Spanish writes "1:05 p. m." (shared/docs/SPANISH.md), so the meridiem is ours,
with a context so it cannot collide with Django's own "AM"/"PM".
"""

from __future__ import annotations

import datetime

from django import template
from django.utils import dateformat, timezone
from django.utils.translation import gettext, pgettext

register = template.Library()


def _local(value: datetime.datetime | str) -> datetime.datetime:
    # The copy of a person's data carries its times as ISO text (it is also a JSON file).
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.timezone.utc)
    return timezone.localtime(value)


@register.filter
def clock_time(value: datetime.datetime | str) -> str:
    """The time of day in the firm's zone, with the zone's abbreviation: "1:05 PM PST"."""
    local = _local(value)
    meridiem = (pgettext("time of day", "PM") if local.hour >= 12
                else pgettext("time of day", "AM"))
    return f"{dateformat.format(local, 'g:i')} {meridiem} {dateformat.format(local, 'T')}"


@register.filter
def date_time(value: datetime.datetime | str) -> str:
    """Date and time in the firm's zone: "December 4, 2026, 1:05 PM PST"."""
    local = _local(value)
    return f"{dateformat.format(local, gettext('F j, Y'))}, {clock_time(local)}"
