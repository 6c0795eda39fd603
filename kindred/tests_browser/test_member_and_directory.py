"""A member's journey (their next session, "I can't make it") and a visitor's journey
through the public directory on a phone (find a group, ask to join)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from kindred.core.testing import Cast
from kindred.groups.models import JoinRequest
from kindred.intake.models import Referral
from kindred.scheduling.models import AbsenceNotice
from kindred.tests_browser.conftest import PHONE
from kindred.tests_browser.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    heading,
    open_page,
    sign_in_with_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def new_york_phone(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A 360 px phone whose clock is set to New York (the groups meet on Chicago time)."""
    ctx = browser.new_context(
        base_url=live_server.url, viewport=PHONE, timezone_id="America/New_York"
    )
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


def test_a_member_sees_their_next_session_and_says_they_cannot_make_it(
    phone_context: BrowserContext, live_server: LiveServer, cast: Cast
) -> None:
    sign_in_with_cookie(phone_context, live_server.url, cast.member)
    page: Page = phone_context.new_page()
    open_page(page, "/home/")
    heading(page, "Welcome, Avery")
    next_sessions = page.get_by_role("region", name="Your next sessions")
    first = next_sessions.get_by_role("article").first
    expect(first.get_by_role("heading", name="Steady Ground")).to_be_visible()
    expect(first).to_contain_text("Central Time")
    assert_no_horizontal_scroll(page)
    assert_accessible(page)

    first.get_by_role("link", name=re.compile("I can't make it")).click()
    heading(page, "I can't make it")
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    page.get_by_label("Anything your facilitator should know? (optional)").fill(
        "Away for work that week."
    )
    page.get_by_role("button", name="Let the group know").click()
    heading(page, "Your sessions")
    expect(page.get_by_role("status")).to_contain_text("Thank you for letting us know")
    expect(page.get_by_text("Your facilitator knows.").first).to_be_visible()
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    notice = AbsenceNotice.objects.get(client=cast.client)
    if notice.note != "Away for work that week.":
        pytest.fail(f"saved note {notice.note!r}")

    page.get_by_role("button", name=re.compile("I can come after all")).first.click()
    expect(page.get_by_role("status")).to_contain_text("Your notice is withdrawn")
    if AbsenceNotice.objects.exists():
        pytest.fail("the notice was not withdrawn")


def test_a_visitor_finds_a_group_on_a_phone_and_asks_to_join(
    new_york_phone: BrowserContext, cast: Cast
) -> None:
    page = new_york_phone.new_page()
    open_page(page, "/find-a-group/")
    heading(page, "Find a group")
    card = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="Steady Ground")
    )
    # The server writes the group's own time (Chicago); the script adds the visitor's.
    expect(card.locator("time").first).to_contain_text("(your time)")
    expect(card.locator("time").first).to_contain_text(re.compile(r"7:00\sPM"))
    expect(card).to_contain_text("where the group meets:")
    expect(card).to_contain_text("Illinois, Kansas")
    assert_no_horizontal_scroll(page)
    assert_accessible(page)

    card.get_by_role("link", name=re.compile("More about this group")).click()
    heading(page, "Steady Ground")
    assert_no_horizontal_scroll(page)
    assert_accessible(page)

    page.get_by_role("link", name="Request to join").first.click()
    # The directory leads to the self-referral form with the group chosen (issue 4).
    heading(page, "Ask for a place in a group")
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    page.get_by_label("First name").fill("Robin")
    page.get_by_label("Last name").fill("Example")
    page.get_by_label("Date of birth").fill("1990-04-12")
    page.get_by_label("Email").fill("robin@example.test")
    page.get_by_label("The state you live in").select_option("IL")
    page.wait_for_timeout(3_200)  # people take longer than the minimum fill time
    page.get_by_role("button", name="Send").click()
    heading(page, "Thank you for reaching out")
    expect(page.get_by_role("heading", name="What happens next")).to_be_visible()
    expect(page.get_by_role("link", name="988", exact=True)).to_be_visible()
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    saved = Referral.objects.get()
    if (saved.first_name, saved.state, saved.group_id) != ("Robin", "IL", cast.group_a.pk):
        pytest.fail(f"saved {saved.first_name!r} {saved.state!r} for group {saved.group_id}")


def test_a_visitor_sees_why_a_request_was_not_sent(
    new_york_phone: BrowserContext, cast: Cast
) -> None:
    page = new_york_phone.new_page()
    open_page(page, f"/find-a-group/{cast.group_b.slug}/join/")
    page.get_by_label("Email").fill("not an email")
    page.wait_for_timeout(3_200)
    page.get_by_role("button", name="Send my request").click()
    heading(page, "Request to join Open Harbor")
    expect(page.get_by_label("Your name")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Your name")).to_be_focused()
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    if JoinRequest.objects.exists():
        pytest.fail("a request was saved from bad input")


def test_a_coordinator_handles_a_join_request(
    context: BrowserContext, live_server: LiveServer, cast: Cast
) -> None:
    JoinRequest.objects.create(
        group=cast.group_a, name="Robin Example", email="robin@example.test", state="IL"
    )
    sign_in_with_cookie(context, live_server.url, cast.coordinator)
    page = context.new_page()
    open_page(page, "/home/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Join requests").click()
    heading(page, "Join requests")
    expect(page.get_by_role("row", name=re.compile("Robin Example"))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("Mark handled")).click()
    expect(page.get_by_role("status")).to_contain_text("is marked handled")
    expect(page.get_by_text("No requests waiting.")).to_be_visible()
    assert_accessible(page)
