"""caseapp.templatetags.local_time: the staff templates' date filters."""

from __future__ import annotations

import datetime

import pytest
from django.template import Context, Template
from django.utils import translation

pytestmark = pytest.mark.usefixtures("firm_in_los_angeles")

MOMENT = datetime.datetime(2026, 12, 4, 21, 5, 7, tzinfo=datetime.timezone.utc)


@pytest.fixture
def firm_in_los_angeles(settings):
    settings.TIME_ZONE = "America/Los_Angeles"


def rendered(source: str, **context) -> str:
    with translation.override("en"):
        return Template("{% load local_time %}" + source).render(Context(context))


def test_a_moment_is_a_time_element_to_the_minute_or_the_second():
    assert rendered("{{ when|time_element }}", when=MOMENT) == (
        '<time datetime="2026-12-04T13:05:07-08:00">Dec 4, 2026, 1:05 PM PST</time>')
    assert rendered('{{ when|time_element:"seconds" }}', when=MOMENT).endswith(
        ">Dec 4, 2026, 1:05:07 PM PST</time>")


@pytest.mark.parametrize(("style", "text"), [
    ("", "Dec 4, 2026"), (':"long"', "December 4, 2026"), (':"weekday"', "Fri, Dec 4, 2026"),
])
def test_a_day_is_a_date_element_in_a_style(style, text):
    assert rendered("{{ day|date_element" + style + " }}", day=datetime.date(2026, 12, 4)) == (
        f'<time datetime="2026-12-04">{text}</time>')


def test_an_empty_value_falls_to_the_default():
    assert rendered('{{ when|time_element|default:"—" }} {{ day|date_element|default:"—" }}',
                    when=None, day=None) == "— —"


def test_a_chart_label_has_no_element():
    assert rendered("{{ day|day_and_month }}", day=datetime.date(2026, 12, 4)) == "Dec 4"
