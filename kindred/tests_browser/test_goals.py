"""Goals in a browser: on a phone (360 px) a member sets a goal shared with the group and
checks in; another member, also on a phone, sends support from the group's shared goals;
the facilitator sees the goal, the check-in and the reply on the group's goals page.
Every page passes axe-core and fits the phone without scrolling sideways."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from kindred.core.testing import Cast
from kindred.goals.models import CheckIn, Goal, SupportReply
from kindred.space.access import get_space_for
from kindred.space.services import display_name_set
from kindred.tests_browser.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    heading,
    open_page,
    sign_in_with_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_phone_b(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A second phone, for the other member (its own cookies)."""
    ctx = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 740})
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


def test_shared_goal_check_in_support_and_the_facilitators_view(
    context: BrowserContext,
    phone_context: BrowserContext,
    browser_phone_b: BrowserContext,
    live_server: LiveServer,
    cast: Cast,
) -> None:
    display_name_set(
        actor=cast.member, access=get_space_for(cast.member, cast.group_a.pk), name="Sky"
    )
    display_name_set(
        actor=cast.member_b, access=get_space_for(cast.member_b, cast.group_a.pk), name="River"
    )

    sign_in_with_cookie(phone_context, live_server.url, cast.member)
    goal = _member_sets_and_checks_in(phone_context.new_page())
    sign_in_with_cookie(browser_phone_b, live_server.url, cast.member_b)
    _peer_sends_support(browser_phone_b.new_page(), cast, goal)
    sign_in_with_cookie(context, live_server.url, cast.facilitator)
    _facilitator_sees(context.new_page(), cast)


def _member_sets_and_checks_in(member: Page) -> Goal:
    # The member sets a goal on their phone and shares it with the group.
    open_page(member, "/goals/")
    heading(member, "Your goals")
    assert_accessible(member)
    assert_no_horizontal_scroll(member)
    member.get_by_role("link", name="Set a new goal").click()
    heading(member, "Set a new goal")
    member.get_by_label("What is your goal?").fill("Walk for twenty minutes most mornings")
    member.get_by_label("Why does it matter to you? (optional)").fill("It clears my head")
    member.get_by_label("A small next step (optional)").fill("Shoes by the door")
    member.get_by_label("My group can see this goal").check()
    assert_accessible(member)
    assert_no_horizontal_scroll(member)
    member.get_by_role("button", name="Set this goal").click()
    heading(member, "Walk for twenty minutes most mornings")
    goal = Goal.objects.get()
    if not goal.shared_with_group:
        pytest.fail("the goal was not shared")

    # A weekly check-in: a number from 0 to 10 and a sentence.
    member.get_by_role("link", name="Check in this week").click()
    heading(member, "Check in")
    member.get_by_label("Where are you with this goal this week? (0 to 10)").fill("6")
    member.get_by_label("A sentence about your week (optional)").fill("Four mornings out of seven")
    assert_accessible(member)
    member.get_by_role("button", name="Check in").click()
    heading(member, "Walk for twenty minutes most mornings")
    expect(member.get_by_text("Thank you for checking in.")).to_be_visible()
    expect(member.get_by_role("img", name="Progress from 0 to 10")).to_be_visible()
    assert_accessible(member)
    assert_no_horizontal_scroll(member)
    if CheckIn.objects.get().progress != 6:
        pytest.fail("the check-in was not stored as 6")
    return goal


def _peer_sends_support(peer: Page, cast: Cast, goal: Goal) -> None:

    # Another member sees it under "Sky" (never the real name) and sends support.
    open_page(peer, "/goals/group/")
    heading(peer, "Your group's goals")
    card = peer.locator(f"#goal-{goal.pk}")
    expect(card.get_by_text("Sky")).to_be_visible()
    expect(card.get_by_text("Four mornings out of seven")).to_be_visible()
    for private in (cast.member.full_name, "It clears my head"):
        if private in peer.content():
            pytest.fail(f"another member sees {private!r}")
    assert_accessible(peer)
    assert_no_horizontal_scroll(peer)
    card.get_by_label("Send some support").fill("Four mornings is great, keep going!")
    card.get_by_role("button", name="Send support").click()
    heading(peer, "Your group's goals")
    expect(peer.get_by_text("Your support was sent.")).to_be_visible()
    expect(peer.locator(f"#goal-{goal.pk}").get_by_text("River:")).to_be_visible()
    if SupportReply.objects.get().author != cast.member_b:
        pytest.fail("the reply has the wrong author")


def _facilitator_sees(page: Page, cast: Cast) -> None:
    # The facilitator sees the goal, this week's check-in and the support.
    open_page(page, f"/goals/staff/groups/{cast.group_a.pk}/")
    heading(page, f"Goals in {cast.group_a.name}")
    section = page.get_by_role("region", name=cast.client.display_name)
    expect(section.get_by_text("This week: 6 of 10")).to_be_visible()
    other = page.get_by_role("region", name=cast.client_b.display_name)
    expect(other.get_by_text("No goals in this group yet.")).to_be_visible()
    assert_accessible(page)
    section.get_by_role("link", name="Walk for twenty minutes most mornings").click()
    heading(page, "Walk for twenty minutes most mornings")
    expect(page.get_by_text("It clears my head")).to_be_visible()
    expect(page.get_by_text("Four mornings is great, keep going!")).to_be_visible()
    expect(page.get_by_text(f"({cast.member_b.full_name})")).to_be_visible()
    assert_accessible(page)
