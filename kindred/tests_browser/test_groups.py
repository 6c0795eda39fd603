"""A coordinator's group journeys: set up a group, see it in the list and on a phone,
offer a place, and cancel one session — each page checked with axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from kindred.core.testing import Cast
from kindred.groups.models import Enrollment, TherapyGroup
from kindred.groups.tests.factories import next_weekday, person
from kindred.scheduling.models import SessionStatus
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


def test_coordinator_sets_up_a_group_and_offers_a_place(coordinator_page: Page) -> None:
    page = coordinator_page
    person("Rowan", "Lindqvist")
    open_page(page, "/home/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Groups").click()
    heading(page, "Groups")
    assert_accessible(page)
    page.get_by_role("link", name="Set up a group").click()
    heading(page, "Set up a group")
    assert_accessible(page)
    page.locator("input[name=name]").fill("Wednesday Grief Circle")
    page.locator("textarea[name=description]").fill("A steady place to talk about loss.")
    page.locator("select[name=lead_facilitator]").select_option(label="Fern Facilitator, LCPC")
    page.locator("input[name=start_date]").fill(next_weekday(2).isoformat())
    page.locator("input[name=start_time]").fill("18:00")
    page.locator("input[name=recurrence]").fill("FREQ=WEEKLY")  # closed: needs an end
    page.get_by_role("button", name="Set up the group").click()
    heading(page, "Set up a group")
    expect(page.locator("#id_recurrence_error")).to_contain_text("A closed group needs an end")
    assert_accessible(page)
    if TherapyGroup.objects.filter(name="Wednesday Grief Circle").exists():
        pytest.fail("a group was saved despite the error")
    page.locator("input[name=recurrence]").fill("FREQ=WEEKLY;COUNT=10")
    page.get_by_role("button", name="Set up the group").click()
    heading(page, "Wednesday Grief Circle")
    assert_accessible(page)
    expect(page.get_by_role("table", name="Coming sessions").locator("tbody tr")).to_have_count(6)
    page.get_by_role("link", name="Offer a place").click()
    page.get_by_role("searchbox", name="Client name").fill("lindq")
    page.get_by_role("button", name="Find").click()
    assert_accessible(page)
    page.get_by_role("button", name="Offer Rowan Lindqvist a place").click()
    heading(page, "Wednesday Grief Circle")
    expect(page.get_by_role("table", name="Members and their places")).to_contain_text(
        "Rowan Lindqvist"
    )
    assert_accessible(page)
    if not Enrollment.objects.filter(client__legal_last_name="Lindqvist").exists():
        pytest.fail("the place was not saved")


def test_coordinator_cancels_a_session(coordinator_page: Page, cast: Cast) -> None:
    page = coordinator_page
    open_page(page, f"/groups/{cast.group_a.pk}/sessions/")
    heading(page, "Sessions of Steady Ground")
    assert_accessible(page)
    page.get_by_role("link", name="Cancel").first.click()
    heading(page, "Cancel a session")
    assert_accessible(page)
    page.get_by_role("button", name="Cancel the session").click()
    expect(page.locator("#id_reason_error")).to_be_visible()
    page.locator("textarea[name=reason]").fill("The facilitator is unwell.")
    page.get_by_role("button", name="Cancel the session").click()
    heading(page, "Sessions of Steady Ground")
    expect(page.get_by_text("The facilitator is unwell.")).to_be_visible()
    assert_accessible(page)
    if not cast.group_a.sessions.filter(status=SessionStatus.CANCELLED).exists():
        pytest.fail("the session was not cancelled")


def test_group_pages_fit_a_phone(
    phone_context: BrowserContext, live_server: LiveServer, cast: Cast
) -> None:
    sign_in_with_cookie(phone_context, live_server.url, cast.coordinator)
    page = phone_context.new_page()
    for path, title in [
        ("/groups/", "Groups"),
        (f"/groups/{cast.group_a.pk}/", "Steady Ground"),
        (f"/groups/{cast.group_a.pk}/sessions/", "Sessions of Steady Ground"),
        ("/groups/new/", "Set up a group"),
    ]:
        open_page(page, path)
        heading(page, title)
        assert_no_horizontal_scroll(page)
        assert_accessible(page)


def test_a_facilitator_sees_the_roster_but_no_controls(
    context: BrowserContext, live_server: LiveServer, cast: Cast
) -> None:
    sign_in_with_cookie(context, live_server.url, cast.facilitator)
    page = context.new_page()
    open_page(page, f"/groups/{cast.group_a.pk}/")
    heading(page, "Steady Ground")
    expect(page.get_by_role("table", name="Members and their places")).to_contain_text(
        "Avery Member"
    )
    expect(page.get_by_role("link", name="Offer a place")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    assert_accessible(page)
