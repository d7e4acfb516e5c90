"""Real Chromium (Debian's package) through Playwright, against pytest-django's live server."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # no outbound calls of Chromium's own
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    for candidate in (os.environ.get("CHROMIUM_PATH"), shutil.which("chromium"),
                      shutil.which("chromium-browser"), "/usr/bin/chromium"):
        if candidate and os.path.exists(candidate):
            return candidate
    raise RuntimeError("No Chromium found: run `make test` (it installs Debian's chromium) "
                       "or set CHROMIUM_PATH.")


def browser_launch():
    """One Chromium for the whole run; the ``browser`` fixture is in tests/conftest.py, so
    tests/browser and tests/journeys share it (two sync Playwright sessions in one process
    refuse to start)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class PageWatch:
    """Collects what a page did that a test should fail on."""

    def __init__(self, origin: str):
        self.origin = origin
        self.foreign_requests: list[str] = []
        self.console_errors: list[str] = []
        self.server_errors: list[str] = []

    def on_request(self, request):
        url = request.url
        if url.startswith(("data:", "about:", "blob:")):
            return
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.foreign_requests.append(url)

    def on_console(self, message):
        if message.type == "error":
            self.console_errors.append(message.text)

    def on_response(self, response):
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.url}")

    def assert_clean(self):
        assert self.foreign_requests == [], "requests left the origin"
        assert self.server_errors == []
        # CSP violations are reported to the console as errors.
        assert self.console_errors == []


@contextmanager
def watched_page(browser, live_server, *, javascript: bool, viewport=None):
    """A fresh browser context on the live server; fails the test on what ``PageWatch`` saw."""
    context = browser.new_context(
        java_script_enabled=javascript,
        viewport=viewport or {"width": 1280, "height": 900},
        base_url=live_server.url,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    watch = PageWatch(live_server.url)
    page.on("request", watch.on_request)
    page.on("console", watch.on_console)
    page.on("response", watch.on_response)
    page.watch = watch
    yield page
    context.close()
    watch.assert_clean()


@pytest.fixture
def page(browser, live_server):
    with watched_page(browser, live_server, javascript=True) as page:
        yield page


@pytest.fixture
def page_nojs(browser, live_server):
    with watched_page(browser, live_server, javascript=False) as page:
        yield page


@pytest.fixture
def phone_page(browser, live_server):
    with watched_page(browser, live_server, javascript=True,
                      viewport={"width": 375, "height": 740}) as page:
        yield page


_axe = Axe()


def assert_accessible(page, label: str = "") -> None:
    """axe-core (WCAG 2.x A and AA, best practices) must report no violation at all."""
    results = _axe.run(page)
    violations = results.response["violations"]
    summary = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations
    ]
    assert violations == [], f"axe violations on {label or page.url}: {summary}"
