"""caseapp.management.commands.ensure_admin: the first administrator for `make run`."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def ensure_admin() -> str:
    out = StringIO()
    call_command("ensure_admin", stdout=out)
    return out.getvalue()


def test_the_first_run_creates_admin_and_shows_a_password_that_signs_in_once(client):
    output = ensure_admin()
    password = re.search(r"password: (\S+)", output).group(1)
    assert len(password) >= 20
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    response = client.post("/staff/login/", {"username": "admin", "password": password})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(admin.pk)
    assert "shown only once" in output and "/staff/login/" in output
    assert ensure_admin() == ""  # the second run: nothing made, nothing shown
    assert get_user_model().objects.filter(is_superuser=True).count() == 1


def test_each_install_gets_its_own_password():
    first = re.search(r"password: (\S+)", ensure_admin()).group(1)
    get_user_model().objects.all().delete()
    assert re.search(r"password: (\S+)", ensure_admin()).group(1) != first


def test_an_existing_administrator_of_any_name_is_left_alone():
    get_user_model().objects.create_superuser("owner", password="x" * 16)
    assert ensure_admin() == ""
    assert not get_user_model().objects.filter(username="admin").exists()
