"""The group space in a browser: a member chooses a name on a phone (360 px), posts risk
language and sees crisis resources at once; the other member sees the post appear
without reloading; the facilitator sees the safety alert, the flagged post on the
moderation page and who wrote it. Every page passes axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, BrowserContext, expect
from pytest_django.live_server_helper import LiveServer

from kindred.core.testing import Cast
from kindred.measures.models import AlertSource, SafetyAlert
from kindred.space import services
from kindred.space.access import get_space_for
from kindred.space.models import Post
from kindred.tests_browser.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    heading,
    open_page,
    sign_in_with_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_risk_language_from_post_to_the_facilitators_alert(
    context: BrowserContext, phone_context: BrowserContext, live_server: LiveServer, cast: Cast
) -> None:
    group = cast.group_a
    # The member opens the space from their home page, on a phone.
    sign_in_with_cookie(phone_context, live_server.url, cast.member)
    member = phone_context.new_page()
    open_page(member, "/home/member/")
    member.get_by_role("link", name="Group space: talk with your group between sessions").click()
    heading(member, "Choose how the group sees you")
    assert_accessible(member)
    assert_no_horizontal_scroll(member)
    member.get_by_label("Your name in this group's space").fill("Sky")
    member.get_by_role("button", name="Save my name").click()
    heading(member, f"{group.name}: group space")
    assert_accessible(member)
    assert_no_horizontal_scroll(member)

    member.get_by_role("link", name="Start a conversation").click()
    heading(member, "Start a conversation")
    member.get_by_label("Title").fill("A hard week")
    member.get_by_label("What would you like to share?").fill(
        "Honestly I want to die. Nothing helps right now."
    )
    member.get_by_role("button", name="Post").click()
    heading(member, "A hard week")
    crisis = member.get_by_role("alert").filter(has_text="988")
    expect(crisis).to_be_visible()
    expect(member.get_by_role("link", name="Call 988").first).to_be_visible()
    assert_accessible(member)
    assert_no_horizontal_scroll(member)

    post = Post.objects.get()
    alert = SafetyAlert.objects.get(flag_code=f"space.post.{post.pk}")
    if alert.source != AlertSource.RISK_LANGUAGE:
        pytest.fail(f"alert source {alert.source}")

    # The facilitator sees the alert first on their home page, and its source.
    sign_in_with_cookie(context, live_server.url, cast.facilitator)
    page = context.new_page()
    open_page(page, "/home/facilitator/")
    panel = page.get_by_role("region", name="1 safety alert needs action")
    expect(panel).to_be_visible()
    panel.get_by_role("link", name=cast.client.display_name).click()
    expect(page.get_by_text("Risk language in a post in the group's space")).to_be_visible()
    assert_accessible(page)

    # The moderation page lists the flagged post with who wrote it.
    open_page(page, f"/space/{group.pk}/moderation/")
    heading(page, f"{group.name}: moderation")
    risky = page.get_by_role("region", name="Posts with risk language")
    expect(risky.get_by_text("Nothing helps right now.")).to_be_visible()
    expect(risky.get_by_text(f"({cast.member.full_name})")).to_be_visible()
    assert_accessible(page)


def test_a_reply_appears_without_reloading(
    phone_context: BrowserContext, live_server: LiveServer, cast: Cast
) -> None:
    for user, name in ((cast.member, "Sky"), (cast.member_b, "River")):
        services.display_name_set(
            actor=user, access=get_space_for(user, cast.group_a.pk), name=name
        )
    opening = services.thread_create(
        actor=cast.member,
        access=get_space_for(cast.member, cast.group_a.pk),
        title="Small wins",
        body="I went for a walk today.",
    )
    sign_in_with_cookie(phone_context, live_server.url, cast.member)
    page = phone_context.new_page()
    open_page(page, f"/space/threads/{opening.thread_id}/")
    heading(page, "Small wins")
    assert_accessible(page)
    services.post_create(
        actor=cast.member_b,
        access=get_space_for(cast.member_b, cast.group_a.pk),
        thread=opening.thread,
        body="That's **great** to hear.",
    )
    # Polled every 15 s: it appears without the page being reloaded.
    expect(page.get_by_text("to hear.")).to_be_visible(timeout=25_000)
    expect(page.locator("strong", has_text="great")).to_be_visible()
    page.get_by_role("button", name="With you").last.click()
    expect(page.get_by_role("button", name="With you 1")).to_be_visible()
    assert_accessible(page)
    assert_no_horizontal_scroll(page)


def test_direct_messages_under_the_facilitators_eye(
    browser: Browser,
    context: BrowserContext,
    phone_context: BrowserContext,
    live_server: LiveServer,
    cast: Cast,
) -> None:
    """The facilitator turns direct messages on; a member writes to another on a phone,
    told the facilitators can read it; the other sees it as new; the facilitator reads
    the conversation and knows who is who. Every page passes axe-core."""
    group = cast.group_a
    for user, name in ((cast.member, "Sky"), (cast.member_b, "River")):
        services.display_name_set(actor=user, access=get_space_for(user, group.pk), name=name)
    sign_in_with_cookie(context, live_server.url, cast.facilitator)
    fac = context.new_page()
    open_page(fac, f"/space/{group.pk}/moderation/")
    fac.get_by_label("Members may message each other directly").check()
    fac.get_by_role("button", name="Save settings").click()
    expect(fac.get_by_text("Settings saved.")).to_be_visible()

    sign_in_with_cookie(phone_context, live_server.url, cast.member)
    member = phone_context.new_page()
    open_page(member, f"/space/{group.pk}/")
    member.get_by_role("link", name="Direct messages").click()
    heading(member, "Direct messages")
    expect(member.get_by_text("facilitators can read every conversation")).to_be_visible()
    assert_accessible(member)
    assert_no_horizontal_scroll(member)
    member.get_by_label("Who would you like to write to?").select_option(label="River")
    member.get_by_role("button", name="Open the conversation").click()
    heading(member, "River")
    member.get_by_label("Your message").fill("Thank you for Thursday.")
    member.get_by_role("button", name="Send").click()
    expect(member.get_by_text("Thank you for Thursday.")).to_be_visible()
    assert_accessible(member)
    assert_no_horizontal_scroll(member)

    other_context = browser.new_context(
        base_url=live_server.url, viewport={"width": 360, "height": 740}
    )
    sign_in_with_cookie(other_context, live_server.url, cast.member_b)
    other = other_context.new_page()
    open_page(other, f"/space/{group.pk}/")
    expect(other.get_by_text("1 new")).to_be_visible()
    other.get_by_role("link", name="Direct messages").click()
    other.get_by_role("link", name="Sky").click()
    expect(other.get_by_text("Thank you for Thursday.")).to_be_visible()
    other_context.close()

    open_page(fac, f"/space/{group.pk}/messages/")
    fac.get_by_role("link", name=f"Sky ({cast.member.full_name})").click()
    expect(fac.get_by_text("Thank you for Thursday.")).to_be_visible()
    expect(fac.get_by_role("link", name="Hide the message from Sky")).to_be_visible()
    assert_accessible(fac)
