"""A coordinator runs matching, reads why each person was proposed (and why someone
could not be placed), accepts a line and sees the screening asked for; the pages fit a
phone. Every page is checked with axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, expect
from pytest_django.live_server_helper import LiveServer

from kindred.core.testing import Cast
from kindred.intake.models import Screening, Urgency
from kindred.matching.tests.support import waiting
from kindred.tests_browser.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    heading,
    open_page,
    sign_in_with_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _run_matching(context: BrowserContext, live_server: LiveServer, cast: Cast) -> None:
    sign_in_with_cookie(context, live_server.url, cast.coordinator)
    page = context.new_page()
    open_page(page, "/home/")
    page.get_by_role("link", name="Matching", exact=True).click()
    heading(page, "Matching")
    expect(page.get_by_text("Steady Ground (8)")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Run matching").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Proposal of")
    expect(page.get_by_role("status")).to_contain_text("1 of 2 people have a proposed group")
    assert_accessible(page)
    assert_no_horizontal_scroll(page)
    line = page.get_by_role("listitem").filter(has_text="Rowan")
    expect(line).to_contain_text("Steady Ground")
    expect(line).to_contain_text("points")
    expect(line).to_contain_text("Urgent")
    # Why Fern (in Florida) has no group, in plain words.
    page.get_by_role("link", name="Not placed (1)").click()
    # In the list of people left out (the fairness summary above may say it too).
    expect(
        page.locator("ol").get_by_text("cannot yet practise in this person's state")
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Proposed (1)").click()
    page.get_by_role("button", name="Accept for Rowan").click()
    expect(page.get_by_role("status")).to_contain_text("Fern Facilitator is asked to screen Rowan")
    assert_accessible(page)
    assert_no_horizontal_scroll(page)
    if not Screening.objects.filter(client__legal_first_name="Rowan").exists():
        pytest.fail("accepting did not ask for a screening")


def test_a_coordinator_runs_matching_reads_why_and_accepts(
    context: BrowserContext, live_server: LiveServer, cast: Cast
) -> None:
    waiting(cast, first="Rowan", urgency=Urgency.URGENT)
    waiting(cast, first="Fern", state="FL", windows=[])
    _run_matching(context, live_server, cast)


def test_the_same_on_a_phone(
    phone_context: BrowserContext, live_server: LiveServer, cast: Cast
) -> None:
    waiting(cast, first="Rowan", urgency=Urgency.URGENT)
    waiting(cast, first="Fern", state="FL", windows=[])
    _run_matching(phone_context, live_server, cast)
