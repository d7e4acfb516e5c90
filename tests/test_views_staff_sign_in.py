"""caseapp.views.staff.sign_in: signing in and out, and the two-factor steps."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.oath import TOTP

from caseapp.models import AuditEvent
from caseapp.models import SealedTOTPDevice as TOTPDevice
from tests.staff_pages import sign_in
from tests.staff_users import PASSWORD, make_staff

pytestmark = pytest.mark.django_db


def test_sign_in_page_and_successful_sign_in_are_audited(client, reviewer):
    assert client.get(reverse("staff:login")).status_code == 200
    response = client.post(reverse("staff:login"),
                           {"username": "rita", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:overview")
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor == reviewer
    assert event.ip_address == "127.0.0.1"


def test_failed_sign_in_is_audited_without_the_text_typed(client, reviewer):
    client.post(reverse("staff:login"), {"username": "my-secret-password", "password": "x"})
    client.post(reverse("staff:login"), {"username": "rita", "password": "wrong"})
    unknown, known = AuditEvent.objects.filter(action="auth.login_failed").order_by("id")
    assert unknown.details == {"account": "unknown"}
    assert "my-secret-password" not in str(unknown.details) + unknown.target
    assert known.target == "rita"


def test_sign_out_is_a_post_and_is_audited(reviewer_client, reviewer):
    assert reviewer_client.get(reverse("staff:logout")).status_code == 405
    response = reviewer_client.post(reverse("staff:logout"))
    assert response["Location"] == reverse("staff:login")
    assert AuditEvent.objects.get(action="auth.logout").actor == reviewer


def test_sign_in_page_redirects_who_is_signed_in(reviewer_client):
    response = reviewer_client.get(reverse("staff:login"))
    assert response["Location"] == reverse("staff:overview")


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def enrolled_device(user) -> TOTPDevice:
    """An authenticator, and backup codes made at enrolment (else the next page asks)."""
    from django_otp.plugins.otp_static.models import StaticDevice

    from caseapp.selectors.staff_accounts import BACKUP_DEVICE_NAME

    StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME)
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, case, settings):
    settings.CASEAPP_LOGIN_FAILURE_LIMIT = 3
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
    settings.CASEAPP_LOGIN_FAILURE_LIMIT = 2
    make_staff("rita", "Reviewer")
    make_staff("sam", "Reviewer")
    for _ in range(2):
        sign_in(client, "rita", "wrong-password")
    assert sign_in(client, "sam").status_code == 302


def test_success_before_the_limit_resets_the_count(client, case, settings):
    settings.CASEAPP_LOGIN_FAILURE_LIMIT = 3
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
    device = enrolled_device(user)
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


def test_every_account_must_enrol_then_make_backup_codes_before_any_page(
        client, case, second_factor):
    make_staff("rita", "Reviewer")
    response = sign_in(client, "rita")
    assert response["Location"].startswith("/staff/two-factor/setup/")
    assert client.get("/staff/submissions/")["Location"].startswith("/staff/two-factor/setup/")
    page = client.get("/staff/two-factor/setup/")
    html = page.content.decode()
    assert "<svg" in html and "Key:" in html
    device = TOTPDevice.objects.get(confirmed=False)
    response = client.post("/staff/two-factor/setup/", {"token": current_code(device),
                                                         "next": "/staff/submissions/"})
    assert response["Location"] == "/staff/two-factor/backup-codes/?next=/staff/submissions/"
    assert TOTPDevice.objects.get().confirmed
    # Backup codes are made before any page, and no "Not now" is offered.
    assert client.get("/staff/submissions/")["Location"].startswith(
        "/staff/two-factor/backup-codes/")
    assert "Not now" not in client.get("/staff/two-factor/backup-codes/").content.decode()
    assert len(make_backup_codes(client)) == 10
    assert client.get("/staff/submissions/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.otp_enrolled").count() == 1


def test_any_staff_member_may_enrol_voluntarily(client, case):
    make_staff("rita", "Reviewer")
    sign_in(client, "rita")
    client.get("/staff/two-factor/setup/")
    device = TOTPDevice.objects.get(confirmed=False)
    client.post("/staff/two-factor/setup/", {"token": current_code(device)})
    client.post("/staff/logout/")
    assert sign_in(client, "rita")["Location"].startswith("/staff/two-factor/")


def test_a_password_change_ends_the_users_other_sessions(client, case):
    from django.test import Client

    user = make_staff("rita", "Reviewer")
    sign_in(client, "rita")
    elsewhere = Client()
    sign_in(elsewhere, "rita")
    user.set_password("a-new-long-passphrase-99")
    user.save()
    assert elsewhere.get("/staff/submissions/")["Location"].startswith("/staff/login/")


def make_backup_codes(client) -> list[str]:
    import re

    page = client.post("/staff/two-factor/backup-codes/").content.decode()
    return re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page)


def test_backup_codes_are_shown_once_stored_hashed_and_work_once(client, case):
    from django.db import connection
    from django_otp.plugins.otp_static.models import StaticToken

    user = make_staff("rita", "Reviewer")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    sign_in(client, "rita")
    client.post("/staff/two-factor/", {"token": current_code(device)})
    codes = make_backup_codes(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    again = client.get("/staff/two-factor/backup-codes/").content.decode()
    assert "10 unused backup codes" in again and codes[0] not in again
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM otp_static_statictoken")
        stored = {row[0] for row in cursor.fetchall()}
    assert len(stored) == 10
    assert not stored & {c.replace("-", "") for c in codes} and not stored & set(codes)

    client.post("/staff/logout/")
    sign_in(client, "rita")
    ok = client.post("/staff/two-factor/", {"token": codes[3].upper(), "next": "/staff/"})
    assert ok["Location"] == "/staff/"
    assert client.get("/staff/submissions/").status_code == 200
    assert StaticToken.objects.count() == 9
    assert AuditEvent.objects.filter(action="auth.otp_backup_code_used").count() == 1

    client.post("/staff/logout/")
    sign_in(client, "rita")
    reused = client.post("/staff/two-factor/", {"token": codes[3]})
    assert "That code did not work" in reused.content.decode()


def test_new_backup_codes_replace_the_old_ones(client, case):
    user = make_staff("rita", "Reviewer")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    sign_in(client, "rita")
    client.post("/staff/two-factor/", {"token": current_code(device)})
    first = make_backup_codes(client)
    assert make_backup_codes(client) != first
    client.post("/staff/logout/")
    sign_in(client, "rita")
    assert "That code did not work" in client.post(
        "/staff/two-factor/", {"token": first[0]}).content.decode()


def test_enrolment_offers_backup_codes_next(client, case):
    make_staff("rita", "Reviewer")
    sign_in(client, "rita")
    client.get("/staff/two-factor/setup/")
    device = TOTPDevice.objects.get(confirmed=False)
    response = client.post("/staff/two-factor/setup/", {"token": current_code(device)})
    assert response["Location"].startswith("/staff/two-factor/backup-codes/")


def test_the_reset_command_removes_the_devices_and_ends_the_sessions(client, case):
    from django.core.management import call_command
    from django_otp.plugins.otp_static.models import StaticDevice

    user = make_staff("rita", "Reviewer")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    sign_in(client, "rita")
    client.post("/staff/two-factor/", {"token": current_code(device)})
    make_backup_codes(client)
    call_command("staff_two_factor_reset", "rita", stdout=__import__("io").StringIO())
    assert not TOTPDevice.objects.exists() and not StaticDevice.objects.exists()
    assert client.get("/staff/submissions/")["Location"].startswith("/staff/login/")
    assert AuditEvent.objects.filter(action="auth.otp_reset", target="rita").exists()


def test_the_seed_is_sealed_in_the_database(case):
    from django.db import connection

    user = make_staff("rita", "Reviewer")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM caseapp_sealedtotpdevice")
        (stored,) = cursor.fetchone()
    assert device.key not in stored and stored.startswith("v2:")
    assert TOTPDevice.objects.get().key == device.key
