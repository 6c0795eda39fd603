"""Notifications and reminders on a 360 px phone: the bell in the header, the list, a
member turning on text reminders (a mistake explained beside the field first)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from kindred.core.testing import Cast
from kindred.notifications.services import notify
from kindred.tests_browser.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    heading,
    open_page,
    sign_in_with_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_opens_a_notification_from_the_bell(
    phone_context: BrowserContext, live_server: LiveServer, cast: Cast
) -> None:
    notify(
        user=cast.member,
        kind="session_reminder",
        title="Reminder: Steady Ground meets Tuesday, March 3 at 6 p.m. CST",
        url="/my/sessions/",
    )
    notify(
        user=cast.member, kind="session_cancelled", title="A session of Steady Ground was cancelled"
    )
    sign_in_with_cookie(phone_context, live_server.url, cast.member)
    page: Page = phone_context.new_page()
    open_page(page, "/home/")
    bell = page.get_by_role("link", name=re.compile("Notifications"))
    expect(bell).to_contain_text("2")
    assert_no_horizontal_scroll(page)
    bell.click()
    heading(page, "Notifications")
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("Open.*Reminder: Steady Ground")).click()
    expect(page).to_have_url(re.compile("/my/sessions/$"))
    expect(page.get_by_role("link", name=re.compile("Notifications"))).to_contain_text("1")
    open_page(page, "/notifications/")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_text("All caught up")).to_be_visible()
    open_page(page, "/notifications/?show=unread")
    expect(page.get_by_text("Nothing unread.")).to_be_visible()
    assert_accessible(page)


def test_a_member_turns_on_text_reminders(
    phone_context: BrowserContext, live_server: LiveServer, cast: Cast
) -> None:
    sign_in_with_cookie(phone_context, live_server.url, cast.member)
    page: Page = phone_context.new_page()
    open_page(page, "/account/")
    page.get_by_role("link", name="Change reminder settings").click()
    heading(page, "Your reminders")
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    page.get_by_label("Text a reminder before each session").check()
    page.get_by_role("button", name="Save reminder settings").click()
    phone = page.get_by_label("Mobile number")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Add a mobile number to get text messages.")).to_be_visible()
    assert_accessible(page)
    phone.fill("+1 312 555 0100")
    page.get_by_role("button", name="Save reminder settings").click()
    expect(page.get_by_text("Reminder settings saved.")).to_be_visible()
    reminders = page.get_by_role("region", name="Session reminders")
    expect(reminders).to_contain_text("By text message: on")
    cast.client.refresh_from_db()
    if not cast.client.sms_reminders or cast.client.phone != "+1 312 555 0100":
        pytest.fail("the choice was not saved")
