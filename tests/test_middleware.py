"""caseapp.middleware: staff sessions that end (idle and absolute), and Permissions-Policy."""

from __future__ import annotations

import time

import pytest

from caseapp import middleware
from tests.staff_users import PASSWORD, make_staff

pytestmark = pytest.mark.django_db


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
