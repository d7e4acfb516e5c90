"""caseapp.admin and caseapp.admin_site: Django's admin behind the second factor, mounted only
when a setting says so, at a path from a setting, never showing a seed (issue 12)."""

from __future__ import annotations

import importlib

import pytest
from django.urls import clear_url_caches
from django_otp.oath import TOTP

from caseapp import urls
from caseapp.models import SealedTOTPDevice, Submission
from tests.factories import make_submission
from tests.staff_users import PASSWORD, make_staff

pytestmark = pytest.mark.django_db


def code(device) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


@pytest.fixture
def remount(settings):
    """Rebuild the root URL conf under the test's settings, and again afterwards."""
    def apply():
        importlib.reload(urls)
        clear_url_caches()
    yield apply
    settings.CASEAPP_ADMIN_ENABLED = True
    settings.CASEAPP_ADMIN_PATH = "admin/"
    apply()


@pytest.fixture
def superuser(db):
    return make_staff("root", is_superuser=True, is_staff=True)


def test_a_superusers_password_alone_opens_no_admin_page(client, case, superuser):
    # Signed in through the staff sign-in, no second factor yet.
    assert client.post("/staff/login/", {"username": "root", "password": PASSWORD}
                       ).status_code == 302
    for path in ("/admin/", "/admin/caseapp/submission/", "/admin/auth/user/"):
        response = client.get(path)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], path
    # The admin's own sign-in form asks for a code too: a password alone is refused.
    client.logout()
    response = client.post("/admin/login/?next=/admin/",
                           {"username": "root", "password": PASSWORD})
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_the_admin_opens_after_the_second_factor(client, case, superuser):
    device = SealedTOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)
    client.post("/staff/login/", {"username": "root", "password": PASSWORD})
    client.post("/staff/two-factor/", {"token": code(device)})
    assert client.get("/admin/").status_code == 200


def test_no_admin_page_shows_a_totp_seed(client, case, superuser):
    device = SealedTOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)
    client.post("/staff/login/", {"username": "root", "password": PASSWORD})
    client.post("/staff/two-factor/", {"token": code(device)})
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 404
    page = client.get(f"/admin/caseapp/sealedtotpdevice/{device.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert device.key not in html and "otpauth" not in html
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404


def test_the_admin_cannot_change_a_submission(client, case, superuser):
    device = SealedTOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)
    submission = make_submission()
    client.post("/staff/login/", {"username": "root", "password": PASSWORD})
    client.post("/staff/two-factor/", {"token": code(device)})
    url = f"/admin/caseapp/submission/{submission.pk}/change/"
    assert client.get(url).status_code == 200
    client.post(url, {"language": "=HYPERLINK(1)", "rules_version": "=1+1"})
    submission.refresh_from_db()
    assert submission.language == "en" and not submission.rules_version.startswith("=")
    assert Submission.objects.count() == 1


def test_the_admin_is_not_mounted_unless_a_setting_turns_it_on(client, case, settings,
                                                               remount):
    settings.CASEAPP_ADMIN_ENABLED = False
    remount()
    assert client.get("/admin/").status_code == 404
    assert client.get("/admin/login/").status_code == 404


def test_the_admins_path_comes_from_a_setting(client, case, settings, remount):
    settings.CASEAPP_ADMIN_PATH = "back-office-7f3a/"
    remount()
    assert client.get("/admin/").status_code == 404
    assert client.get("/back-office-7f3a/")["Location"].startswith("/back-office-7f3a/login/")


def test_production_settings_leave_the_admin_off_by_default():
    import subprocess
    import sys

    env = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "x" * 50, "DJANGO_ALLOWED_HOSTS": "a.example",
           "CASEAPP_FIELD_KEYS": "Y" * 43 + "=", "CASEAPP_BLIND_INDEX_KEY": "k",
           "EMAIL_HOST": "smtp.example", "DATABASE_URL": "sqlite:///unused.sqlite3",
           "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", "import django,os;os.environ['DJANGO_SETTINGS_MODULE']="
         "'caseapp.settings';django.setup();from django.conf import settings;"
         "print(settings.CASEAPP_ADMIN_ENABLED)"],
        env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
