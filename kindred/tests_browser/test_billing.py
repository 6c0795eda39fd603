"""Billing journey (issue 7): a member, on a 360 px phone, opens Billing in the portal,
sees their charges and balance, and downloads a superbill for a period — a PDF. The
billing clerk's pages are axe clean too."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, expect
from pytest_django.live_server_helper import LiveServer

from kindred.billing import services
from kindred.billing.models import Charge
from kindred.billing.testing import past_session, take_attendance
from kindred.core.testing import Cast
from kindred.tests_browser.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    heading,
    open_page,
    sign_in_with_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _check(condition: bool, message: str) -> None:
    if not condition:
        pytest.fail(message)


@pytest.fixture
def billed(cast: Cast) -> None:
    cast.group_a.fee_cents = 4000
    cast.group_a.save(update_fields=["fee_cents"])
    cast.clinician.npi = "1234567893"
    cast.clinician.save(update_fields=["npi"])
    session = past_session(cast.group_a)
    take_attendance(session, cast.facilitator)
    services.diagnosis_add(
        actor=cast.facilitator,
        client=cast.client,
        code="F41.1",
        description="Generalized anxiety disorder",
        starts_on=session.starts_at.date().replace(day=1),
        is_primary=True,
    )
    services.charges_create_for_session(actor=cast.billing, session=session)
    services.charges_post(actor=cast.billing, charges=list(Charge.objects.all()))


def test_member_downloads_a_superbill_on_a_phone(
    phone_context: BrowserContext, live_server: LiveServer, cast: Cast, billed: None
) -> None:
    sign_in_with_cookie(phone_context, live_server.url, cast.member)
    page = phone_context.new_page()
    open_page(page, "/my/sessions/")
    page.get_by_role("link", name="Billing").first.click()
    heading(page, "Billing")
    expect(page.get_by_text("Your balance: $40.00")).to_be_visible()
    assert_accessible(page)
    assert_no_horizontal_scroll(page)
    page.get_by_label("From").fill("2026-01-01")
    page.get_by_label("To").fill("2026-12-31")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the superbill (PDF)").click()
    download = info.value
    _check(download.suggested_filename == "superbill-2026-01-01-to-2026-12-31.pdf", "file name")
    with open(download.path(), "rb") as handle:
        _check(handle.read(5) == b"%PDF-", "the download is not a PDF")
    response = page.request.get("/my/billing/superbill.pdf?start=2026-01-01&end=2026-12-31")
    _check(response.headers["content-type"] == "application/pdf", "content type")
    _check(response.body().startswith(b"%PDF-"), "the response is not a PDF")


def test_billing_pages_are_accessible(
    context: BrowserContext, live_server: LiveServer, cast: Cast, billed: None
) -> None:
    sign_in_with_cookie(context, live_server.url, cast.billing)
    page = context.new_page()
    for path, title in (
        ("/billing/", "Billing"),
        (f"/billing/clients/{cast.client.pk}/", "Billing for Avery Member"),
        ("/billing/report/", "Affordability report"),
        ("/billing/settings/", "Billing settings"),
    ):
        open_page(page, path)
        heading(page, title)
        assert_accessible(page)
