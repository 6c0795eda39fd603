"""A member on a phone asks for their own-data PDF, watches the page say it is waiting
and then, without reloading, that it is ready (the htmx poll, which then stops), and
downloads it. The page passes axe-core in each state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, expect
from pytest_django.live_server_helper import LiveServer

from kindred.core.testing import Cast
from kindred.datarights.models import SelfExport
from kindred.datarights.selfexport import selfexport_run
from kindred.tests_browser.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    heading,
    open_page,
    sign_in_with_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_prepares_and_downloads_their_pdf(
    phone_context: BrowserContext, live_server: LiveServer, cast: Cast, settings: Any
) -> None:
    # The job stays queued until this test plays the worker (the dummy backend keeps
    # tasks without running them), so the page has something to wait for.
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.dummy.DummyBackend",
            "QUEUES": ["default", "email"],
        }
    }
    sign_in_with_cookie(phone_context, live_server.url, cast.member)
    page = phone_context.new_page()
    open_page(page, "/account/my-data/")
    heading(page, "Your data")
    assert_accessible(page)
    page.get_by_role("button", name="Prepare PDF").click()
    status = page.locator("#pdf-export-state")
    expect(status).to_contain_text("Your PDF is waiting to start.")
    expect(page.locator("[role=status]").filter(has=status)).to_have_count(1)
    assert_accessible(page)
    assert_no_horizontal_scroll(page)

    job = SelfExport.objects.get(user=cast.member)
    selfexport_run(job.pk)  # the worker's turn
    # The poll (every 3 s) brings the new state in without a reload, then stops.
    expect(status).to_contain_text("Your PDF is ready.", timeout=15_000)
    expect(page.locator("[hx-trigger]")).to_have_count(0)
    assert_accessible(page)
    assert_no_horizontal_scroll(page)

    with page.expect_download() as got:
        page.get_by_role("link", name="Download PDF").click()
    download = got.value
    if not download.suggested_filename.startswith("kindred-my-data-"):
        pytest.fail(f"unexpected file name {download.suggested_filename!r}")
    if not Path(download.path()).read_bytes().startswith(b"%PDF-"):
        pytest.fail("the download is not a PDF")
