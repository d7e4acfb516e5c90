"""caseapp.templatetags.humanize_money: dollars and waiting times as people read them."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template

from caseapp.templatetags.humanize_money import dollars, timedelta_minutes


@pytest.mark.parametrize(("value", "shown"), [
    (0, "$0"), (1000, "$1,000"), (Decimal("1000.00"), "$1,000"), ("2500", "$2,500"),
    (1_000_000, "$1,000,000"), (123_456_789_000, "$123,456,789,000"),
])
def test_dollars_are_whole_with_thousands_separators(value, shown):
    assert dollars(value) == shown


@pytest.mark.parametrize(("seconds", "minutes"), [
    (0, 1), (1, 1), (59, 1), (60, 1), (61, 2), (299, 5), (300, 5), (301, 6), (3600, 60),
])
def test_a_wait_is_whole_minutes_rounded_up_and_never_zero(seconds, minutes):
    assert timedelta_minutes(datetime.timedelta(seconds=seconds)) == minutes


def test_the_filters_work_in_django_templates():
    template = Template(
        "{% load humanize_money %}{{ amount|dollars }} in {{ wait|timedelta_minutes }}")
    rendered = template.render(
        Context({"amount": 1000, "wait": datetime.timedelta(minutes=4, seconds=1)}))
    assert rendered == "$1,000 in 5"
