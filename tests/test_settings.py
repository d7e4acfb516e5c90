"""Production mode: refuses to start without its secrets, and passes Django's deploy checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "test-" + "k" * 60,
    "DJANGO_ALLOWED_HOSTS": "caseapp.example",
    "CASEAPP_FIELD_KEYS": Fernet.generate_key().decode(),
    "CASEAPP_BLIND_INDEX_KEY": "index-key-for-tests",
    "EMAIL_HOST": "smtp.caseapp.example",
}


def manage(*args: str, drop: tuple[str, ...] = (), **extra: str):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "CASEAPP_"))}
    env.update(PRODUCTION)
    env.update(extra)
    for name in drop:
        env.pop(name, None)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_production_without_a_secret_key_is_a_clear_startup_error():
    result = manage("check", drop=("DJANGO_SECRET_KEY",))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_without_field_keys_is_a_clear_startup_error():
    result = manage("check", drop=("CASEAPP_FIELD_KEYS",))
    assert result.returncode != 0
    assert "CASEAPP_FIELD_KEYS" in result.stderr


def test_production_without_allowed_hosts_is_a_clear_startup_error():
    result = manage("check", drop=("DJANGO_ALLOWED_HOSTS",))
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_production_without_an_email_server_is_a_clear_startup_error():
    result = manage("check", drop=("EMAIL_HOST",))
    assert result.returncode != 0
    assert "EMAIL_HOST must be set" in result.stderr


def test_email_settings_come_from_the_environment_under_djangos_names():
    code = ("from django.conf import settings as s; print(s.EMAIL_BACKEND, s.EMAIL_HOST, "
            "s.EMAIL_PORT, s.EMAIL_USE_TLS, s.DEFAULT_FROM_EMAIL)")
    result = manage("shell", "-c", code, EMAIL_PORT="2525", EMAIL_USE_TLS="1",
                    DEFAULT_FROM_EMAIL="intake@firm.example")
    assert result.stdout.split()[-5:] == [
        "caseapp.email_backend.ReplyRecordingSMTPBackend", "smtp.caseapp.example", "2525",
        "True", "intake@firm.example"]


def test_without_an_email_server_development_prints_emails_on_the_console():
    code = "from django.conf import settings as s; print(s.EMAIL_BACKEND)"
    result = manage("shell", "-c", code, drop=("EMAIL_HOST",), DJANGO_DEBUG="1")
    assert result.stdout.strip().endswith("django.core.mail.backends.console.EmailBackend")


def test_production_settings_pass_the_deploy_check_with_no_warning():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_the_ssl_redirect_is_on_in_production_unless_explicitly_turned_off():
    code = "from django.conf import settings; print(settings.SECURE_SSL_REDIRECT)"
    assert manage("shell", "-c", code).stdout.strip().endswith("True")
    off = manage("shell", "-c", code, DJANGO_SECURE_SSL_REDIRECT="0")
    assert off.stdout.strip().endswith("False")
