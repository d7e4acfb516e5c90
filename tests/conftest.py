import os

import pytest

# Sync Playwright runs an event loop in the test thread; Django must allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def case(db):
    from caseapp.selectors import case_current

    return case_current()


@pytest.fixture(autouse=True)
def no_minimum_registration_time(settings):
    """Tests click faster than people; the timing check has its own tests."""
    settings.CASEAPP_REGISTRATION_MIN_SECONDS = 0
