"""A coordinator's client journeys: find a client, add one, and get clear messages
for bad input."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from kindred.clients.models import Client
from kindred.core.testing import Cast
from kindred.tests_browser.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    heading,
    open_page,
    sign_in_with_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def coordinator_page(context: BrowserContext, live_server: LiveServer, cast: Cast) -> Page:
    sign_in_with_cookie(context, live_server.url, cast.coordinator)
    return context.new_page()


def test_coordinator_finds_a_client_by_name(coordinator_page: Page) -> None:
    page = coordinator_page
    open_page(page, "/home/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    heading(page, "Clients")
    assert_accessible(page)
    page.get_by_role("searchbox", name="Name").fill("outsider")
    page.get_by_role("button", name="Find").click()
    expect(page).to_have_url(re.compile(r"search=outsider"))
    results = page.locator("main table")
    expect(results.get_by_role("link", name=re.compile("Casey"))).to_be_visible()
    expect(results.get_by_text("Avery")).to_have_count(0)
    assert_accessible(page)
    results.get_by_role("link", name=re.compile("Casey")).click()
    heading(page, "Casey Outsider")
    assert_accessible(page)


def test_coordinator_adds_a_client(coordinator_page: Page) -> None:
    page = coordinator_page
    open_page(page, "/clients/")
    page.get_by_role("link", name="Add a client").click()
    heading(page, "Add a client")
    assert_accessible(page)
    page.locator("input[name=legal_first_name]").fill("Rowan")
    page.locator("input[name=legal_last_name]").fill("Lindqvist")
    page.locator("input[name=date_of_birth]").fill("1991-03-14")
    page.locator("select[name=state_of_residence]").select_option("KS")
    page.locator("input[name=email]").fill("rowan.lindqvist@example.test")
    page.get_by_role("button", name="Create record").click()
    heading(page, "Rowan Lindqvist")
    assert_accessible(page)
    client = Client.objects.get(legal_last_name="Lindqvist")
    expect(page).to_have_url(re.compile(f"/clients/{client.pk}/$"))
    if client.state_of_residence != "KS":
        pytest.fail(f"saved state {client.state_of_residence!r}, expected 'KS'")


def test_bad_input_is_explained_beside_the_field_and_nothing_is_saved(
    coordinator_page: Page,
) -> None:
    page = coordinator_page
    before = Client.objects.count()
    open_page(page, "/clients/new/")
    page.locator("input[name=legal_first_name]").fill("Future")
    page.locator("input[name=legal_last_name]").fill("Person")
    page.locator("input[name=date_of_birth]").fill("2999-01-01")
    page.locator("select[name=state_of_residence]").select_option("IL")
    page.get_by_role("button", name="Create record").click()
    heading(page, "Add a client")
    date_field = page.locator("input[name=date_of_birth]")
    expect(date_field).to_have_attribute("aria-invalid", "true")
    expect(date_field).to_be_focused()  # the first problem gets the focus
    described_by = date_field.get_attribute("aria-describedby") or ""
    message_ids = [i for i in described_by.split() if i]
    if not message_ids:
        pytest.fail("the date of birth error is not tied to its field (aria-describedby)")
    messages = " ".join(page.locator(f"[id='{i}']").inner_text() for i in message_ids)
    if "future" not in messages.lower():
        pytest.fail(f"expected a message about a future date beside the field, got {messages!r}")
    assert_accessible(page)
    if Client.objects.count() != before:
        pytest.fail("a client was saved from invalid input")


def test_client_pages_fit_a_360px_screen(
    phone_context: BrowserContext, live_server: LiveServer, cast: Cast
) -> None:
    sign_in_with_cookie(phone_context, live_server.url, cast.coordinator)
    page = phone_context.new_page()
    for path in ("/clients/", f"/clients/{cast.client.pk}/", "/clients/new/"):
        open_page(page, path)
        assert_no_horizontal_scroll(page)
