"""Settings fail closed: production mode unless DJANGO_DEBUG=1, and production refuses to start
without its secrets; typed values refuse what they cannot read; the deploy checks pass.

Each runs the settings in a fresh process with an environment of its own (the test run's
DJANGO_* and CASEAPP_* variables removed), as a deployment would start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from caseapp import crypto

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "test-" + "k" * 60,
    "DJANGO_ALLOWED_HOSTS": "caseapp.example",
    "DATABASE_URL": "postgres://caseapp@db.caseapp.example:5432/caseapp",
    "CASEAPP_FIELD_KEYS": Fernet.generate_key().decode(),
    "CASEAPP_BLIND_INDEX_KEY": "index-key-for-tests",
    "EMAIL_HOST": "smtp.caseapp.example",
}
REQUIRED = ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "CASEAPP_FIELD_KEYS",
            "CASEAPP_BLIND_INDEX_KEY", "EMAIL_HOST")


def environment(drop: tuple[str, ...] = (), **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "CASEAPP_", "EMAIL_"))
           and k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(PRODUCTION)
    env.update(extra)
    for name in drop:
        env.pop(name, None)
    return env


def manage(*args: str, drop: tuple[str, ...] = (), **extra: str):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT,
                          env=environment(drop, **extra), capture_output=True, text=True,
                          timeout=120)


def settings_print(expression: str, drop: tuple[str, ...] = (), **extra: str):
    """Import the settings module alone (no app loading) and print one expression of it."""
    code = f"import caseapp.settings as s; print({expression})"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment(drop, **extra),
                          capture_output=True, text=True, timeout=60)


def test_no_environment_variable_makes_the_second_factor_optional():
    """Issue 20: every staff account uses it; only the test suite's own settings turn it off."""
    result = settings_print("s.CASEAPP_SECOND_FACTOR_OPTIONAL", CASEAPP_SECOND_FACTOR_OPTIONAL="1",
                            CASEAPP_OTP_REQUIRED_FOR_SUPERVISORS="0", DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False"]


def test_without_djangos_debug_variable_the_app_runs_in_production_mode():
    result = settings_print("s.DEBUG, s.SESSION_COOKIE_SECURE, s.CASEAPP_ADMIN_ENABLED",
                            drop=("DJANGO_DEBUG",))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "False"]


def test_production_with_nothing_set_names_every_missing_variable_and_how_to_make_it():
    result = manage("check", drop=("DJANGO_DEBUG", *REQUIRED))
    assert result.returncode != 0
    assert "caseapp will not start in production mode" in result.stderr
    for name in REQUIRED:
        assert f"  - {name}: " in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr
    assert "DJANGO_DEBUG=1 python manage.py generate_field_keys" in result.stderr
    assert "set DJANGO_DEBUG=1 instead" in result.stderr


@pytest.mark.parametrize("name", REQUIRED)
def test_production_without_one_required_variable_names_that_one(name):
    result = manage("check", drop=(name,))
    assert result.returncode != 0
    assert f"  - {name}: " in result.stderr
    assert [other for other in REQUIRED if f"  - {other}: " in result.stderr] == [name]


def test_development_mode_needs_nothing_else_and_names_no_key_file():
    result = settings_print("s.DEBUG, s.FIELD_KEY_FILE, s.FIELD_KEYS, s.ALLOWED_HOSTS[0]",
                            drop=REQUIRED, DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "None", "[]", "127.0.0.1"]
    check = manage("check", drop=REQUIRED, DJANGO_DEBUG="1")
    assert check.returncode == 0, check.stderr


def test_the_key_file_is_read_only_in_development_mode(tmp_path):
    key_file = str(tmp_path / "keys")
    development = settings_print("s.FIELD_KEY_FILE", drop=REQUIRED, DJANGO_DEBUG="1",
                                 CASEAPP_FIELD_KEY_FILE=key_file)
    assert development.stdout.strip() == key_file
    production = settings_print("s.FIELD_KEY_FILE", CASEAPP_FIELD_KEY_FILE=key_file)
    assert production.stdout.strip() == "None"
    assert not (tmp_path / "keys").exists()


def test_with_no_keys_and_no_key_file_sealing_says_what_to_set(settings):
    settings.FIELD_KEYS, settings.BLIND_INDEX_KEY, settings.FIELD_KEY_FILE = [], "", None
    crypto.reset_key_cache()
    try:
        with pytest.raises(ImproperlyConfigured, match="set CASEAPP_FIELD_KEYS and "
                                                       "CASEAPP_BLIND_INDEX_KEY"):
            crypto.encrypt("Ana María")
    finally:
        crypto.reset_key_cache()


@pytest.mark.parametrize(("name", "value", "message"), [
    # Issue 18: DEBUG is off unless DJANGO_DEBUG=1; another value is refused, not guessed.
    *(("DJANGO_DEBUG", value, "DJANGO_DEBUG must be 1 (development) or 0 (production, the "
                              f"default when unset), not {value!r}.")
      for value in ("maybe", "true", "yes", "on", "2")),
    ("CASEAPP_UPDATE_LANES", "two", "CASEAPP_UPDATE_LANES must be a whole number, not 'two'."),
    ("CASEAPP_UPDATE_LANES", "0", "CASEAPP_UPDATE_LANES must be at least 1, not 0."),
    ("CASEAPP_EMAIL_RETRY_SECONDS", "1m", "CASEAPP_EMAIL_RETRY_SECONDS must be a number"),
    ("CASEAPP_REGISTRATION_RATE", "20 per hour", "CASEAPP_REGISTRATION_RATE must be a count per "
                                                 "period such as 20/h"),
    ("CASEAPP_ADMIN_ENABLED", "sí", "CASEAPP_ADMIN_ENABLED must be 1 or 0"),
    ("EMAIL_PORT", "smtp", "EMAIL_PORT must be a whole number, not 'smtp'."),
])
def test_a_value_of_the_wrong_type_stops_the_start_naming_the_variable(name, value, message):
    result = manage("check", **{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured: " + message in result.stderr


def test_a_malformed_field_key_stops_the_start_without_showing_the_key():
    good = Fernet.generate_key().decode()
    result = manage("check", CASEAPP_FIELD_KEYS=f"{good},not-a-real-key-value")
    assert result.returncode != 0
    assert "CASEAPP_FIELD_KEYS: key 2 of 2 is not 32 bytes in URL-safe base64" in result.stderr
    assert "not-a-real-key-value" not in result.stderr and good not in result.stderr


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


@pytest.mark.parametrize(("value", "debug"), [("1", "True"), ("0", "False")])
def test_djangos_debug_variable_1_is_development_and_0_production(value, debug):
    assert settings_print("s.DEBUG", DJANGO_DEBUG=value).stdout.split() == [debug]
