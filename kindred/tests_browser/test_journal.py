"""The private journal in a browser: a member on a phone (360 px) writes a private
entry and shares it after reading who will see it; the facilitator reads it on the
group's page; a second entry the member keeps private never shows there. Every page
passes axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from kindred.audit.models import AuditEvent
from kindred.core.testing import Cast
from kindred.journal.models import JournalEntry
from kindred.tests_browser.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    heading,
    open_page,
    sign_in_with_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _member_writes_and_shares(member: Page, cast: Cast) -> None:
    group = cast.group_a
    open_page(member, "/journal/")
    heading(member, "Your journal")
    expect(member.get_by_text("No entries yet.")).to_be_visible()
    assert_accessible(member)
    assert_no_horizontal_scroll(member)

    # A first entry, about a recent session; private when saved.
    member.get_by_role("link", name="Write your first entry").click()
    heading(member, "New journal entry")
    member.get_by_label("Title (optional)").fill("Said it out loud")
    member.get_by_label("Your entry").fill("I told the group about the move. It felt lighter.")
    sessions = member.get_by_label("About a session (optional)")
    options = sessions.locator("option").all_inner_texts()
    if not any(group.name in o for o in options):
        pytest.fail(f"no session of {group.name} offered: {options}")
    sessions.select_option(index=1)
    assert_accessible(member)
    member.get_by_role("button", name="Save").click()
    heading(member, "Said it out loud")
    expect(member.get_by_text("Only you. This entry is private.")).to_be_visible()
    assert_accessible(member)
    assert_no_horizontal_scroll(member)

    # Sharing explains who will read it, then shares.
    member.get_by_role("link", name="Share with my facilitator…").click()
    heading(member, "Share this entry with your facilitator?")
    expect(member.get_by_text(cast.facilitator.full_name)).to_be_visible()
    assert_accessible(member)
    assert_no_horizontal_scroll(member)
    member.get_by_role("button", name="Share this entry").click()
    heading(member, "Said it out loud")
    expect(member.get_by_role("button", name="Stop sharing")).to_be_visible()
    expect(member.get_by_role("alert").filter(has_text="988")).to_have_count(0)


def test_member_shares_one_entry_and_the_facilitator_reads_only_that(
    context: BrowserContext, phone_context: BrowserContext, live_server: LiveServer, cast: Cast
) -> None:
    group = cast.group_a
    sign_in_with_cookie(phone_context, live_server.url, cast.member)
    member = phone_context.new_page()
    _member_writes_and_shares(member, cast)

    # A second entry stays private.
    open_page(member, "/journal/new/")
    member.get_by_label("Title (optional)").fill("Only mine")
    member.get_by_label("Your entry").fill("Nobody else needs to read this one.")
    member.get_by_role("button", name="Save").click()
    heading(member, "Only mine")
    open_page(member, "/journal/")
    expect(member.get_by_role("link", name="Only mine")).to_be_visible()
    expect(member.get_by_text("Shared with your facilitator")).to_have_count(1)
    assert_accessible(member)

    # The facilitator reads the shared entry, and only that one.
    sign_in_with_cookie(context, live_server.url, cast.facilitator)
    page = context.new_page()
    open_page(page, f"/journal/group/{group.pk}/")
    heading(page, f"{group.name}: shared journal entries")
    expect(page.get_by_role("heading", name="Said it out loud")).to_be_visible()
    expect(page.get_by_text("It felt lighter.")).to_be_visible()
    expect(page.get_by_text(cast.client.display_name, exact=False).first).to_be_visible()
    expect(page.get_by_text("Only mine")).to_have_count(0)
    expect(page.get_by_text("Nobody else needs to read this one.")).to_have_count(0)
    assert_accessible(page)

    private = JournalEntry.objects.get(shared_with_facilitator=False)
    response = page.goto(f"{live_server.url}/journal/{private.pk}/")
    if response is None or response.status != 404:
        pytest.fail("the facilitator reached a private entry")
    shared = JournalEntry.objects.get(shared_with_facilitator=True)
    reads = AuditEvent.objects.filter(action="journal.entry.viewed", actor=cast.facilitator)
    if list(reads.values_list("object_id", flat=True)) != [str(shared.pk)]:
        pytest.fail("the facilitator's read of the shared entry was not audited once")
