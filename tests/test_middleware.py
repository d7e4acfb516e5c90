"""caseapp.middleware: the public pages stay closed in production until the case record names
the firm; staff sessions end (idle and absolute); Permissions-Policy on every response."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from caseapp import middleware
from caseapp.models import Case
from tests.staff_users import PASSWORD, make_staff

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


# --- issue 12: staff session limits and Permissions-Policy --------------------------------

@pytest.fixture
def clock(monkeypatch):
    now = [time.time()]
    monkeypatch.setattr(middleware.time, "time", lambda: now[0])
    return now


def signed_in(client):
    make_staff("rita", "Reviewer")
    assert client.post("/staff/login/", {"username": "rita", "password": PASSWORD}
                       ).status_code == 302
    assert client.get("/staff/submissions/").status_code == 200


def test_thirty_idle_minutes_sign_a_staff_member_out(client, case, clock):
    signed_in(client)
    clock[0] += 29 * 60
    assert client.get("/staff/submissions/").status_code == 200  # activity moves it on
    clock[0] += 29 * 60
    assert client.get("/staff/submissions/").status_code == 200
    clock[0] += 30 * 60 + 1
    response = client.get("/staff/submissions/")
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/")
    assert client.get("/staff/").status_code == 302  # signed out for good, not just once


def test_twelve_hours_sign_out_even_a_busy_staff_member(client, case, clock):
    signed_in(client)
    for _ in range(12 * 4):  # a request every 15 minutes for 12 hours
        clock[0] += 15 * 60
        assert client.get("/staff/submissions/").status_code == 200
    clock[0] += 1
    assert client.get("/staff/submissions/")["Location"].startswith("/staff/login/")


def test_the_limits_come_from_settings(client, case, clock, settings):
    settings.CASEAPP_STAFF_IDLE_MINUTES = 5
    signed_in(client)
    clock[0] += 5 * 60 + 1
    assert client.get("/staff/submissions/")["Location"].startswith("/staff/login/")


def test_the_session_cookie_lasts_twelve_hours_not_a_week(client, case):
    signed_in(client)
    from django.conf import settings

    assert settings.SESSION_COOKIE_AGE == 12 * 3600
    assert int(client.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == 12 * 3600


def test_a_public_page_gets_no_session(client, case):
    response = client.get("/")
    assert "sessionid" not in response.cookies


@pytest.mark.parametrize("path", ["/", "/check/country/", "/privacy/", "/staff/login/",
                                  "/healthz"])
def test_every_response_denies_the_browser_features_the_app_does_not_use(client, case, path):
    policy = client.get(path)["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "fullscreen"):
        assert f"{feature}=()" in policy
