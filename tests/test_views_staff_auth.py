"""Staff sign-in hardening: lockout after repeated failures, and the TOTP second factor."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from caseapp.models import AuditEvent

from .staff_users import PASSWORD, make_staff

pytestmark = pytest.mark.django_db

LOGIN = "/staff/login/"


def sign_in(client, username, password=PASSWORD, next_url=""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, case, settings):
    settings.AXES_FAILURE_LIMIT = 3
    make_staff("rita", "Reviewer")
    for _ in range(3):
        response = sign_in(client, "rita", "wrong-password")
    response = sign_in(client, "rita")
    assert response.status_code == 429
    html = response.content.decode()
    assert "locked" in html and "Try again in 15 minutes" in html
    assert client.get("/staff/submissions/").status_code == 302  # still signed out
    assert AuditEvent.objects.filter(action="auth.login_failed").count() >= 3


def test_a_lockout_is_per_account_and_address(client, case, settings):
    settings.AXES_FAILURE_LIMIT = 2
    make_staff("rita", "Reviewer")
    make_staff("sam", "Reviewer")
    for _ in range(2):
        sign_in(client, "rita", "wrong-password")
    assert sign_in(client, "sam").status_code == 302


def test_success_before_the_limit_resets_the_count(client, case, settings):
    settings.AXES_FAILURE_LIMIT = 3
    make_staff("rita", "Reviewer")
    sign_in(client, "rita", "wrong-password")
    sign_in(client, "rita", "wrong-password")
    assert sign_in(client, "rita").status_code == 302
    client.post("/staff/logout/")
    sign_in(client, "rita", "wrong-password")
    sign_in(client, "rita", "wrong-password")
    assert sign_in(client, "rita").status_code == 302


def test_staff_without_a_device_go_straight_in_when_not_required(client, case):
    make_staff("rita", "Reviewer")
    assert sign_in(client, "rita")["Location"] == reverse("staff:overview")


def test_a_user_with_a_device_must_enter_a_code_before_any_staff_page(client, case):
    user = make_staff("rita", "Reviewer")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    response = sign_in(client, "rita", next_url="/staff/submissions/")
    assert response["Location"].startswith("/staff/two-factor/?next=")
    assert client.get("/staff/submissions/")["Location"].startswith("/staff/two-factor/")
    wrong = client.post("/staff/two-factor/", {"token": "000000", "next": "/staff/submissions/"})
    assert "That code did not work" in wrong.content.decode()
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    ok = client.post("/staff/two-factor/", {"token": current_code(device),
                                             "next": "/staff/submissions/"})
    assert ok["Location"] == "/staff/submissions/"
    assert client.get("/staff/submissions/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.otp_verified").count() == 1
    assert AuditEvent.objects.filter(action="auth.otp_failed").count() == 1


def test_the_code_step_refuses_an_off_site_next(client, case):
    user = make_staff("rita", "Reviewer")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    sign_in(client, "rita")
    response = client.post("/staff/two-factor/", {"token": current_code(device),
                                                   "next": "https://evil.example/"})
    assert response["Location"] == reverse("staff:overview")


@pytest.mark.parametrize("token", ["", "12345", "abcdef", "1234567890"])
def test_malformed_codes_get_a_clear_message(client, case, token):
    user = make_staff("rita", "Reviewer")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    sign_in(client, "rita")
    response = client.post("/staff/two-factor/", {"token": token})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()


def test_supervisors_must_enrol_when_the_setting_requires_it(client, case, settings):
    settings.CASEAPP_OTP_REQUIRED_FOR_SUPERVISORS = True
    make_staff("sue", "Supervisor")
    response = sign_in(client, "sue")
    assert response["Location"].startswith("/staff/two-factor/setup/")
    assert client.get("/staff/case/")["Location"].startswith("/staff/two-factor/setup/")
    page = client.get("/staff/two-factor/setup/")
    html = page.content.decode()
    assert "<svg" in html and "Key:" in html
    device = TOTPDevice.objects.get(confirmed=False)
    response = client.post("/staff/two-factor/setup/", {"token": current_code(device),
                                                         "next": "/staff/case/"})
    assert response["Location"] == "/staff/case/"
    assert TOTPDevice.objects.get().confirmed
    assert client.get("/staff/case/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.otp_enrolled").count() == 1


def test_reviewers_are_not_forced_to_enrol(client, case, settings):
    settings.CASEAPP_OTP_REQUIRED_FOR_SUPERVISORS = True
    make_staff("rita", "Reviewer")
    assert sign_in(client, "rita")["Location"] == reverse("staff:overview")


def test_any_staff_member_may_enrol_voluntarily(client, case):
    make_staff("rita", "Reviewer")
    sign_in(client, "rita")
    client.get("/staff/two-factor/setup/")
    device = TOTPDevice.objects.get(confirmed=False)
    client.post("/staff/two-factor/setup/", {"token": current_code(device)})
    client.post("/staff/logout/")
    assert sign_in(client, "rita")["Location"].startswith("/staff/two-factor/")
