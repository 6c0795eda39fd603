"""Coping strategies in a browser: a member shares a coping strategy on a phone (360 px),
the facilitator approves it, another member marks it helpful (with JavaScript, the mark
bar updates in place) and the author is encouraged without being told who. Every page
passes axe-core and nothing scrolls sideways on the phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from kindred.clients.models import ConcernTag
from kindred.core.testing import Cast
from kindred.notifications.models import Notification
from kindred.strategies.models import Strategy, StrategyMark, StrategyStatus
from kindred.tests_browser.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    heading,
    open_page,
    sign_in_with_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "The worry notebook"


def test_share_approve_and_mark_helpful(
    context: BrowserContext, phone_context: BrowserContext, live_server: LiveServer, cast: Cast
) -> None:
    group = cast.group_a
    ConcernTag.objects.create(name="Anxiety")

    # A member shares a card from their phone.
    sign_in_with_cookie(phone_context, live_server.url, cast.member)
    member = phone_context.new_page()
    open_page(member, "/strategies/")
    heading(member, "Coping strategies")
    assert_accessible(member)
    assert_no_horizontal_scroll(member)
    member.get_by_role("link", name=re.compile("Share what helped you")).first.click()
    heading(member, "Share what helped you")
    member.get_by_label("Title").fill(TITLE)
    member.get_by_label("What it is").fill(
        "I write the worry down <script>alert(1)</script> and **leave it** until morning."
    )
    member.get_by_label("When it helps").fill("When worries keep me awake.")
    member.get_by_label("Anxiety").check()
    assert_accessible(member)
    assert_no_horizontal_scroll(member)
    member.get_by_role("button", name="Share with my group").click()
    heading(member, TITLE)
    expect(
        member.get_by_text("A facilitator will read your card before the group sees it.").first
    ).to_be_visible()
    expect(member.locator("strong", has_text="leave it")).to_be_visible()
    expect(member.get_by_text("<script>alert(1)</script>")).to_be_visible()  # text, not code
    assert_accessible(member)
    assert_no_horizontal_scroll(member)
    card = Strategy.objects.get()
    if card.status != StrategyStatus.PENDING:
        pytest.fail(f"a new card is {card.status}, not pending")

    # The facilitator approves it from the approval queue.
    sign_in_with_cookie(context, live_server.url, cast.facilitator)
    facilitator = context.new_page()
    open_page(facilitator, f"/strategies/groups/{group.pk}/approval/")
    heading(facilitator, f"{group.name}: cards waiting for approval")
    expect(facilitator.get_by_text(f"({cast.member.full_name})")).to_be_visible()
    assert_accessible(facilitator)
    facilitator.get_by_role("button", name=f"Approve “{TITLE}”").click()
    expect(facilitator.get_by_text("Approved: the group can see the card now.")).to_be_visible()
    expect(facilitator.get_by_text("Nothing is waiting.")).to_be_visible()
    card.refresh_from_db()
    if card.status != StrategyStatus.APPROVED:
        pytest.fail(f"the approved card is {card.status}")
    _another_member_marks_it_helpful(phone_context, live_server, cast)
    _the_author_is_encouraged(phone_context, live_server, cast, member)


def _another_member_marks_it_helpful(
    phone_context: BrowserContext, live_server: LiveServer, cast: Cast
) -> None:
    """Another member finds the card by searching and marks it helpful."""
    group = cast.group_a

    sign_in_with_cookie(phone_context, live_server.url, cast.member_b)
    other = phone_context.new_page()
    open_page(other, f"/strategies/groups/{group.pk}/")
    heading(other, f"{group.name}: coping strategies")
    other.get_by_role("searchbox", name="Search").fill("notebook")
    other.get_by_role("button", name="Search").click()
    expect(other.get_by_text("Shared by A group member")).to_be_visible()
    expect(other.get_by_text(cast.member.full_name)).to_have_count(0)
    assert_accessible(other)
    assert_no_horizontal_scroll(other)
    other.get_by_role("link", name=TITLE).click()
    heading(other, TITLE)
    other.get_by_role("button", name="This helped").click()
    expect(other.get_by_text("It helped 1 person")).to_be_visible()
    expect(other.get_by_role("button", name="This helped")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert_accessible(other)
    assert_no_horizontal_scroll(other)
    if StrategyMark.objects.filter(user=cast.member_b, kind="helped").count() != 1:
        pytest.fail("the mark was not stored once")


def _the_author_is_encouraged(
    phone_context: BrowserContext, live_server: LiveServer, cast: Cast, member: Page
) -> None:
    """The author sees the count and a notification that never says who."""
    note = Notification.objects.get(user=cast.member, kind="strategy_helped")
    if cast.member_b.full_name in note.title + note.body:
        pytest.fail("the notification names the member who marked the card")
    sign_in_with_cookie(phone_context, live_server.url, cast.member)  # one phone, two people
    open_page(member, "/strategies/mine/")
    heading(member, "Cards you shared")
    expect(member.get_by_text("It helped 1 person")).to_be_visible()
    assert_accessible(member)
