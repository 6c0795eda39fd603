"""A practice admin's pages: practice profile, locations, compacts, staff, clinicians
and concern tags; and adding a location."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from kindred.core.testing import Cast
from kindred.practice.models import Location
from kindred.tests_browser.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    heading,
    open_page,
    sign_in_with_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN_PAGES = [
    ("/practice/", "Practice profile"),
    ("/practice/locations/", "Locations"),
    ("/practice/compacts/", "Licensure compacts"),
    ("/practice/concerns/", "Presenting concerns"),
    ("/staff/", "Staff"),
    ("/clinicians/", "Clinicians"),
]


@pytest.fixture
def admin_page(context: BrowserContext, live_server: LiveServer, cast: Cast) -> Page:
    sign_in_with_cookie(context, live_server.url, cast.admin)
    return context.new_page()


@pytest.mark.parametrize(("path", "title"), ADMIN_PAGES)
def test_admin_pages_open_and_are_accessible(admin_page: Page, path: str, title: str) -> None:
    open_page(admin_page, path)
    heading(admin_page, title)
    assert_accessible(admin_page)


def test_admin_adds_a_location(admin_page: Page) -> None:
    page = admin_page
    open_page(page, "/home/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Practice").click()
    heading(page, "Practice profile")
    open_page(page, "/practice/locations/")
    page.get_by_role("link", name="Add a location").click()
    heading(page, "Add a location")
    assert_accessible(page)
    page.locator("input[name=name]").fill("Evanston — Lakeside office")
    page.locator("input[name=address_line1]").fill("12 Meadowlark Lane")
    page.locator("input[name=city]").fill("Evanston")
    page.locator("select[name=state]").select_option("IL")
    page.locator("input[name=postal_code]").fill("60201")
    page.locator("[name=timezone]").select_option("America/Chicago")
    page.locator("main form button[type=submit]").click()
    heading(page, "Evanston — Lakeside office")
    location = Location.objects.get(name="Evanston — Lakeside office")
    expect(page).to_have_url(re.compile(f"/practice/locations/{location.pk}/$"))
    assert_accessible(page)


def test_a_bad_zip_code_is_explained_and_nothing_is_saved(admin_page: Page) -> None:
    page = admin_page
    open_page(page, "/practice/locations/new/")
    page.locator("input[name=name]").fill("Nowhere office")
    page.locator("input[name=address_line1]").fill("1 Prairie Way")
    page.locator("input[name=city]").fill("Chicago")
    page.locator("select[name=state]").select_option("IL")
    page.locator("input[name=postal_code]").fill("6060")
    page.locator("[name=timezone]").select_option("America/Chicago")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("input[name=postal_code]")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text(re.compile("ZIP code", re.IGNORECASE)).first).to_be_visible()
    assert_accessible(page)
    if Location.objects.filter(name="Nowhere office").exists():
        pytest.fail("a location was saved from invalid input")


def test_facilitator_sees_their_own_clinician_page(
    context: BrowserContext, live_server: LiveServer, cast: Cast
) -> None:
    sign_in_with_cookie(context, live_server.url, cast.facilitator)
    page = context.new_page()
    open_page(page, "/clinicians/me/")
    heading(page, "My clinician profile")
    assert_accessible(page)


def test_practice_pages_fit_a_360px_screen(
    phone_context: BrowserContext, live_server: LiveServer, cast: Cast
) -> None:
    sign_in_with_cookie(phone_context, live_server.url, cast.admin)
    page = phone_context.new_page()
    for path, _title in ADMIN_PAGES:
        open_page(page, path)
        assert_no_horizontal_scroll(page)
