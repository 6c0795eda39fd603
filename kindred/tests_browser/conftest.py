"""Fixtures of the browser suite: Playwright (sync API) driving Debian's Chromium
against pytest-django's live server.

Playwright's sync API keeps an asyncio loop on the main thread while it runs, and Django
refuses ORM calls from a thread with a running loop. The tests here only ever call the
ORM between browser steps, never concurrently, so the browser fixture allows it for
exactly as long as Playwright runs (per module) and puts things back afterwards; the
rest of the suite is unaffected.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)
from pytest_django.live_server_helper import LiveServer

from kindred.tests_browser.support import CHROMIUM_FLAGS, require_chromium

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 360, "height": 740}


@pytest.fixture(scope="session")
def live_server(django_db_setup: None) -> Iterator[LiveServer]:
    """pytest-django's live server, started only once the test database exists: then an
    in-memory SQLite test database is shared with the server's threads, instead of each
    request thread opening (and leaking) a connection of its own."""
    server = LiveServer(os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    require_chromium()
    before = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    driver = sync_playwright().start()
    try:
        yield driver
    finally:
        driver.stop()
        if before is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = before


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(
        executable_path=require_chromium(), args=CHROMIUM_FLAGS, headless=True
    )
    try:
        yield chromium
    finally:
        chromium.close()


def _context(browser: Browser, live_server: LiveServer, viewport: ViewportSize) -> BrowserContext:
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    ctx = _context(browser, live_server, DESKTOP)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def phone_context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    ctx = _context(browser, live_server, PHONE)
    yield ctx
    ctx.close()
