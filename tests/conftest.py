import importlib
import os

import pytest
from django.conf import settings as django_settings
from django.utils import translation

from caseapp.selectors.case_record import case_current
from tests import strict_templates
from tests.staff_users import make_staff

# Chromium and its pages, for tests/browser and tests/journeys alike.
pytest_plugins = ["tests.chromium"]

# Sync Playwright runs an event loop in the test thread; Django must allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_ignore_collect(collection_path, config):
    """Modules named ``*_postgres.py`` test what only PostgreSQL has (roles, statement
    triggers): collected only when the suite runs on it (.ci/run's second pass), never
    reported as skipped on SQLite."""
    if collection_path.name.endswith("_postgres.py"):
        url = os.environ.get("DATABASE_URL", "")
        return not url.startswith(("postgres://", "postgresql://", "pgsql://"))
    return None


def pytest_configure(config):
    # The case record public pages may share between requests would outlive a test's
    # rolled-back transaction, so tests read it on every request; the tests of that cache
    # turn it on (caseapp.selectors.case_record.PublicCaseCache).
    from django.conf import settings

    settings.CASEAPP_PUBLIC_CASE_MAX_AGE = 0
    # A name a template reads and nobody gave fails the test (tests/strict_templates.py).
    strict_templates.install(settings)
    # Every staff account needs a second factor; tests about something else sign in with a
    # password alone. The tests of the second factor turn this off (fixture second_factor).
    settings.CASEAPP_SECOND_FACTOR_OPTIONAL = True


@pytest.fixture
def case(db):

    return case_current()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Transactional tests empty every table between tests with one TRUNCATE, which the audit
    table refuses on PostgreSQL (migration 0014): the test database alone turns that trigger
    off. tests/test_audit_postgres.py turns it on again inside its own transaction."""
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE caseapp_auditevent "
                               "DISABLE TRIGGER caseapp_auditevent_no_truncate")


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
    for name in ("0002_case_and_staff_groups", "0010_case_status_wording_and_firm_identity",
                 "0014_staff_team", "0015_case_spanish_wording", "0020_i21w_status_note"):
        importlib.import_module(f"caseapp.migrations.{name}").seed(apps)
    importlib.import_module("caseapp.migrations.0011_messages").seed_templates(apps, None)


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in English: a request in Spanish leaves its language active in the
    thread (LocaleMiddleware activates, nothing deactivates), and the next test would read it."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


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
def second_factor(settings):
    """The second factor as production has it: required of every staff account."""
    settings.CASEAPP_SECOND_FACTOR_OPTIONAL = False


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


@pytest.fixture
def mail_server():
    """A real SMTP server on loopback for the browser and journey tests' worker."""
    from tests.smtp import SMTPServer

    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def worker(live_server, mail_server):
    """A ``db_worker`` process sending through ``mail_server``, with links to ``live_server``."""
    import signal

    from tests.smtp import worker_process

    process = worker_process(smtp_port=mail_server.port, site_url=live_server.url)
    yield process
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)
