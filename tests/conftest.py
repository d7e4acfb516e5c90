import importlib
import os

import pytest

from caseapp.selectors.case_record import case_current
from tests.staff_users import make_staff

# Sync Playwright runs an event loop in the test thread; Django must allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config):
    # The case record public pages may share between requests would outlive a test's
    # rolled-back transaction, so tests read it on every request; the tests of that cache
    # turn it on (caseapp.selectors.case_record.PublicCaseCache).
    from django.conf import settings

    settings.CASEAPP_PUBLIC_CASE_MAX_AGE = 0


@pytest.fixture
def case(db):

    return case_current()


@pytest.fixture(autouse=True)
def no_minimum_registration_time(settings):
    """Tests click faster than people; the timing check has its own tests."""
    settings.CASEAPP_REGISTRATION_MIN_SECONDS = 0


@pytest.fixture(autouse=True)
def shipped_data(request):
    """Transactional tests flush every table; put back the case and groups migrations ship."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    from django.apps import apps

    request.getfixturevalue("transactional_db")
    for name in ("0002_case_and_staff_groups", "0010_case_status_wording_and_firm_identity"):
        importlib.import_module(f"caseapp.migrations.{name}").seed(apps)
    importlib.import_module("caseapp.migrations.0011_messages").seed_templates(apps, None)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hashing is not what these tests test; the production hasher stays PBKDF2."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def field_keys(settings):
    """Explicit keys for the test; the key cache is cleared before and after. Yields
    ``(use, old)``: ``use(*keys)`` switches to those keys, newest first; ``old`` is the first."""
    from cryptography.fernet import Fernet

    from caseapp import crypto

    def use(*keys):
        settings.FIELD_KEYS = list(keys)
        settings.BLIND_INDEX_KEY = "test-index-key"
        crypto.reset_key_cache()
    old = Fernet.generate_key().decode()
    use(old)
    yield use, old
    crypto.reset_key_cache()


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback, and the app's SMTP backend pointed at it."""
    from tests.smtp import SMTPServer

    server = SMTPServer().start()
    settings.EMAIL_BACKEND = "caseapp.email_backend.ReplyRecordingSMTPBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "Case team <case@firm.example>"
    yield server.mailbox
    server.stop()


@pytest.fixture
def reviewer(db):
    return make_staff("rita", "Reviewer")


@pytest.fixture
def supervisor(db):
    return make_staff("sam", "Supervisor")


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def supervisor_client(client, supervisor):
    client.force_login(supervisor)
    return client


@pytest.fixture(scope="session")
def browser():
    """Chromium for tests/browser and tests/journeys alike (tests/browser/conftest.py)."""
    from tests.browser.conftest import browser_launch

    yield from browser_launch()
