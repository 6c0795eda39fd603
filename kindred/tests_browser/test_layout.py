"""The base layout: usable on a 360 px phone, and keyboard-first (skip link)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from kindred.core.testing import Cast
from kindred.tests_browser.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    open_page,
    sign_in_with_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOMES = [
    ("admin", "/home/admin/"),
    ("coordinator", "/home/coordinator/"),
    ("facilitator", "/home/facilitator/"),
    ("supervisor", "/home/supervisor/"),
    ("billing", "/home/billing/"),
    ("member", "/home/member/"),
]


@pytest.mark.parametrize(("who", "path"), HOMES)
def test_home_pages_fit_a_360px_screen(
    phone_context: BrowserContext, live_server: LiveServer, cast: Cast, who: str, path: str
) -> None:
    sign_in_with_cookie(phone_context, live_server.url, getattr(cast, who))
    page = phone_context.new_page()
    open_page(page, path)
    expect(page).to_have_url(re.compile(f"{re.escape(path)}$"))
    assert_no_horizontal_scroll(page)
    assert_accessible(page)


def test_sign_in_page_fits_a_360px_screen(phone_context: BrowserContext, cast: Cast) -> None:
    page = phone_context.new_page()
    open_page(page, "/accounts/login/")
    assert_no_horizontal_scroll(page)


def test_member_sees_988_without_scrolling_on_a_phone(
    phone_context: BrowserContext, live_server: LiveServer, cast: Cast
) -> None:
    sign_in_with_cookie(phone_context, live_server.url, cast.member)
    page = phone_context.new_page()
    open_page(page, "/home/member/")
    expect(page.get_by_role("link", name="Need help now? Call or text 988")).to_be_in_viewport()


@pytest.mark.parametrize("who", ["coordinator", "member"])
def test_the_skip_link_is_the_first_tab_stop_and_reaches_the_content(
    context: BrowserContext, live_server: LiveServer, cast: Cast, who: str
) -> None:
    sign_in_with_cookie(context, live_server.url, getattr(cast, who))
    page = context.new_page()
    open_page(page, "/home/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()  # it shows itself when focused
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    expect(page.locator("main#main")).to_be_focused()


def test_the_skip_link_comes_first_on_the_sign_in_page(page: Page, cast: Cast) -> None:
    open_page(page, "/accounts/login/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
