"""caseapp.management.commands.example_firm: the made-up firm `make run` names."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from caseapp.models import Case

from .test_views_public_wording import FIRM, visible_text

pytestmark = pytest.mark.django_db


def example_firm() -> str:
    out = StringIO()
    call_command("example_firm", stdout=out)
    return out.getvalue()


def test_the_example_firm_is_named_and_marked_on_every_page(client, case):
    assert "fictional example firm" in example_firm()
    case.refresh_from_db()
    assert case.firm_is_example and "Example" in case.firm_name
    assert not case.firm_identity_complete  # never enough to open production
    for path in ("/", "/privacy/", "/check/country/"):
        text = visible_text(client.get(path).content.decode())
        assert "Example: the firm named on these pages is made up" in text
        assert "Example Intake Law Group LLP (example)" in text


def test_a_firm_already_named_is_left_alone(case):
    Case.objects.filter(pk=case.pk).update(**FIRM)
    assert example_firm() == ""
    saved = Case.objects.get()
    assert saved.firm_name == FIRM["firm_name"] and not saved.firm_is_example
