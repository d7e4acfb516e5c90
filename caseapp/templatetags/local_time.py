"""Template filters for dates and times in the reader's language and the firm's time zone
(``caseapp.local_time``): ``{{ event.created_at|time_element }}`` (``:"seconds"`` for the
audit log), ``{{ case.filed_on|date_element }}`` (``:"long"`` in a sentence, ``:"weekday"``
in a list of days), ``{{ day|day_and_month }}`` in a chart. An empty value gives "", so
``|default:"—"`` still works."""

from __future__ import annotations

from django import template

from caseapp import local_time

register = template.Library()

clock_time = register.filter(local_time.clock_time)
date_time = register.filter(local_time.date_time)
long_date = register.filter(local_time.long_date)
day_and_month = register.filter(local_time.day_and_month)


@register.filter
def date_element(value, style: str = "short"):
    return local_time.date_element(value, style=style) if value else ""


@register.filter
def time_element(value, precision: str = "minutes"):
    return local_time.time_element(value, seconds=precision == "seconds") if value else ""
