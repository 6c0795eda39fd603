"""A practice admin destroys a closed member's record once its retention period has
passed: the due list, the password asked again, a legal hold put on and lifted, a wrong
typed number refused beside the field, then the record destroyed. Every state passes
axe-core and fits a phone's width."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, expect
from pytest_django.live_server_helper import LiveServer

from kindred.clients.models import Client
from kindred.core.testing import PASSWORD, Cast
from kindred.datarights import closure
from kindred.datarights.models import ClosureRequest
from kindred.tests_browser.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    heading,
    open_page,
    sign_in_with_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_holds_then_destroys_a_record_past_its_retention(
    phone_context: BrowserContext, live_server: LiveServer, cast: Cast
) -> None:
    asked = closure.closure_request(actor=cast.member)
    closure.closure_confirm(actor=cast.coordinator, request_id=asked.pk)
    # Seven years on: the last day it had to be kept is behind us.
    ClosureRequest.objects.filter(pk=asked.pk).update(
        retain_until=timezone.localdate() - timedelta(days=1)
    )
    client_id = cast.client.pk
    sign_in_with_cookie(phone_context, live_server.url, cast.admin)
    page = phone_context.new_page()

    open_page(page, "/account-closures/due/")
    heading(page, "Records due for destruction")
    expect(page.get_by_role("table")).to_contain_text(cast.client.display_name)
    assert_accessible(page)
    assert_no_horizontal_scroll(page)

    # Opening a record asks for the password again first.
    page.get_by_role("link", name=f"Review request {asked.pk}").click()
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    heading(page, f"Record of closure request {asked.pk}")
    expect(page.get_by_role("heading", name="What would be destroyed")).to_be_visible()
    assert_accessible(page)
    assert_no_horizontal_scroll(page)

    # A legal hold stops it; lifting the hold makes it destroyable again.
    page.get_by_label("Reason for the hold").fill("A records request from the state board.")
    page.get_by_role("button", name="Put on hold").click()
    expect(page.get_by_text("A record on hold is never destroyed.")).to_be_visible()
    expect(page.get_by_role("button", name="Destroy the record")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("button", name="Lift the hold").click()
    expect(page.get_by_role("button", name="Destroy the record")).to_be_visible()

    # A wrong number is refused beside the field; nothing is destroyed.
    page.get_by_label("Type the request number to confirm").fill("destroy")
    page.get_by_role("button", name="Destroy the record").click()
    expect(page.get_by_text(f"Type the request number, {asked.pk}")).to_be_visible()
    if not Client.objects.filter(pk=client_id).exists():
        pytest.fail("a wrong confirmation destroyed the record")
    assert_accessible(page)

    page.get_by_label("Type the request number to confirm").fill(str(asked.pk))
    page.get_by_role("button", name="Destroy the record").click()
    heading(page, "Records due for destruction")
    expect(page.get_by_text("The record is destroyed.")).to_be_visible()
    expect(page.get_by_text("No record is due for destruction.")).to_be_visible()
    if Client.objects.filter(pk=client_id).exists():
        pytest.fail("the record is still there")
    assert_accessible(page)
    assert_no_horizontal_scroll(page)
