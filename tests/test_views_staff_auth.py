"""Staff sign-in hardening: lockout after repeated failures, and the TOTP second factor."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.staff_pages import sign_in

from .staff_users import make_staff

pytestmark = pytest.mark.django_db


# --- issue 12: the requirement on every request; backup codes; sessions that end -----------

def test_a_setting_turned_on_mid_session_stops_the_next_page(client, case, settings):
    make_staff("sue", "Supervisor")
    assert sign_in(client, "sue")["Location"] == reverse("staff:overview")
    assert client.get("/staff/case/").status_code == 200
    settings.CASEAPP_OTP_REQUIRED_FOR_SUPERVISORS = True
    assert client.get("/staff/case/")["Location"].startswith("/staff/two-factor/setup/")
    assert client.get("/staff/submissions/export.csv")["Location"].startswith(
        "/staff/two-factor/setup/")

