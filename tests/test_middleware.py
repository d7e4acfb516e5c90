"""The public pages stay closed in production until the case record names the firm."""

from __future__ import annotations

import pytest
from django.urls import reverse

from caseapp.models import Case

from .test_views_public_wording import FIRM

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):
    settings.CASEAPP_FIRM_IDENTITY_REQUIRED = True


@pytest.mark.parametrize("path", ["/", "/check/country/", "/result/", "/privacy/"])
def test_without_a_named_firm_public_pages_say_not_open_yet(client, production, path):
    response = client.get(path)
    assert response.status_code == 503
    assert "This check is not open yet" in response.content.decode()
    assert response["Retry-After"]


def test_an_incomplete_or_example_firm_keeps_them_closed(client, case, production):
    Case.objects.filter(pk=case.pk).update(**{**FIRM, "firm_attorney": " "})
    assert client.get("/").status_code == 503
    Case.objects.filter(pk=case.pk).update(**FIRM, firm_is_example=True)
    response = client.get("/")
    assert response.status_code == 503
    # No firm speaks on the closed page, not even the example one.
    page = response.content.decode()
    assert FIRM["firm_name"] not in page and "Attorney advertising" not in page
    assert "made up" not in page


def test_a_named_firm_opens_them(client, case, production):
    Case.objects.filter(pk=case.pk).update(**FIRM)
    assert client.get("/").status_code == 200
    assert client.get("/check/country/").status_code == 200


def test_staff_pages_and_health_stay_open_to_fill_it_in(client, production):
    assert client.get(reverse("staff:login")).status_code == 200
    assert client.get("/healthz").status_code in (200, 503)
    assert "not open yet" not in client.get("/healthz").content.decode()


def test_development_shows_the_pages_without_a_firm(client, settings):
    settings.CASEAPP_FIRM_IDENTITY_REQUIRED = False
    page = client.get("/").content.decode()
    assert "No firm is named yet" in page
