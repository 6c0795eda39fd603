"""A facilitator screens a candidate waiting for their group and admits them (the
refused admit first, with the error beside the decision); the screening pages and the
intake funnel fit a phone. Every page is checked with axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from kindred.core.testing import Cast
from kindred.groups.models import Enrollment, EnrollmentStatus
from kindred.groups.tests.factories import person
from kindred.intake.models import Screening, WaitlistEntry
from kindred.intake.waitlist import waitlist_add
from kindred.tests_browser.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    heading,
    open_page,
    sign_in_with_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CRITERIA = (
    "Motivated to take part",
    "Able to take part in a group",
    "Their goals fit this group",
    "Can commit to attend",
)


@pytest.fixture
def waiting(cast: Cast) -> WaitlistEntry:
    return waitlist_add(
        actor=cast.coordinator, client=person("Robin", "Candidate"), group=cast.group_a
    )


def answer_yes(page: Page) -> None:
    for criterion in CRITERIA:
        page.get_by_role("group", name=criterion).get_by_label("Yes").check()


def test_a_facilitator_screens_a_candidate_and_admits_them(
    context: BrowserContext, live_server: LiveServer, cast: Cast, waiting: WaitlistEntry
) -> None:
    sign_in_with_cookie(context, live_server.url, cast.facilitator)
    page = context.new_page()
    open_page(page, "/home/")
    page.get_by_role("link", name="Screen Robin Candidate for Steady Ground").click()
    heading(page, "Screen Robin Candidate")
    assert_accessible(page)
    answer_yes(page)
    page.get_by_label("Actively suicidal").check()
    page.get_by_role("group", name="What do you decide?").get_by_label("Admit").check()
    page.get_by_role("button", name="Record the decision").click()
    heading(page, "Screen Robin Candidate")
    expect(page.locator("#id_decision_error")).to_contain_text("not admitted to a group now")
    assert_accessible(page)
    if Screening.objects.filter(client=waiting.client).exists():
        pytest.fail("a screening was saved despite the error")
    page.get_by_label("Actively suicidal").uncheck()
    page.get_by_label("Notes").fill("Keen to start; evenings suit them.")
    page.get_by_role("button", name="Record the decision").click()
    heading(page, "Screening of Robin Candidate")
    expect(page.get_by_role("status")).to_contain_text(
        "Robin Candidate is admitted and is now a member of Steady Ground."
    )
    assert_accessible(page)
    enrollment = Enrollment.objects.filter(client=waiting.client, group=cast.group_a).first()
    if enrollment is None or enrollment.status != EnrollmentStatus.ACTIVE:
        pytest.fail("the admitted candidate has no active place")
    open_page(page, f"/groups/{cast.group_a.pk}/")
    roster = page.get_by_role("table", name="Members and their places")
    expect(roster.get_by_role("row", name="Robin Candidate")).to_contain_text("Screened")
    assert_accessible(page)


def test_screening_pages_fit_a_phone(
    phone_context: BrowserContext, live_server: LiveServer, cast: Cast, waiting: WaitlistEntry
) -> None:
    sign_in_with_cookie(phone_context, live_server.url, cast.coordinator)
    page = phone_context.new_page()
    for path, title in [
        ("/screenings/", "Screenings"),
        ("/screenings/new/?q=cand", "Start a screening"),
        (f"/screenings/new/?entry={waiting.pk}", "Screen Robin Candidate"),
        ("/reports/intake-funnel/", "Intake funnel"),
    ]:
        open_page(page, path)
        heading(page, title)
        assert_no_horizontal_scroll(page)
        assert_accessible(page)
