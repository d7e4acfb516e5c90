"""Journeys reuse the browser fixtures (Chromium, live server, watched pages)."""

from tests.browser.conftest import browser, page  # noqa: F401 (fixtures)
