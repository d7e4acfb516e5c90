"""The browser fixtures live in tests/chromium.py (shared with tests/journeys)."""

from tests.chromium import assert_accessible, watched_page  # noqa: F401 (used by the tests here)
