"""Session journeys: a facilitator takes attendance from their home page; a member
confirms where they are (one tap) and sees the Join button; a member somewhere the
clinicians are not licensed is told kindly what to do."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from kindred.core.testing import Cast
from kindred.groups.services import group_update
from kindred.scheduling.models import Attendance, GroupSession, StateAttestation
from kindred.scheduling.tests.g2_support import upcoming
from kindred.tests_browser.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    heading,
    sign_in_with_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = "https://video.example.test/rooms/steady-ground"


@pytest.fixture
def session(cast: Cast, settings: Any) -> GroupSession:
    settings.KINDRED_VIDEO_PROVIDER = "external"
    group_update(actor=None, group=cast.group_a, external_video_link=LINK)
    return upcoming(cast.group_a)


def clock_at(moment: datetime) -> Iterator[None]:
    # The clock keeps running from ``moment`` (the browser waits on real time).
    with time_machine.travel(moment, tick=True):
        yield


@pytest.fixture
def during_session(session: GroupSession) -> Iterator[None]:
    yield from clock_at(session.starts_at + timedelta(minutes=20))


@pytest.fixture
def before_session(session: GroupSession) -> Iterator[None]:
    yield from clock_at(session.starts_at - timedelta(minutes=5))


def test_facilitator_takes_attendance(
    context: BrowserContext,
    live_server: LiveServer,
    cast: Cast,
    session: GroupSession,
    during_session: None,
) -> None:
    sign_in_with_cookie(context, live_server.url, cast.facilitator)
    page = context.new_page()
    page.goto("/home/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(r"^Take attendance\s*: Steady Ground")).first.click()
    heading(page, "Attendance: Steady Ground")
    assert_accessible(page)
    avery = page.get_by_role("group", name="Avery Member")
    avery.get_by_label("Present virtually").check()
    avery.get_by_label("Joined at").fill(_local(session, 3))
    page.get_by_role("group", name="Blair Member").get_by_label("No-show").check()
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_text("Attendance saved.")).to_be_visible()
    expect(page.get_by_text("Saved: Present virtually")).to_be_visible()
    assert_accessible(page)
    rows = dict(Attendance.objects.filter(session=session).values_list("client_id", "status"))
    if rows != {cast.client.pk: "virtual", cast.client_b.pk: "no_show"}:
        pytest.fail(f"saved {rows}")


def _local(session: GroupSession, minutes: int) -> str:
    from zoneinfo import ZoneInfo

    moment = session.starts_at + timedelta(minutes=minutes)
    return moment.astimezone(ZoneInfo(session.group.timezone)).strftime("%H:%M")


def test_facilitator_saves_one_row_and_sees_a_mistake_explained(
    phone_context: BrowserContext,
    live_server: LiveServer,
    cast: Cast,
    session: GroupSession,
    during_session: None,
) -> None:
    sign_in_with_cookie(phone_context, live_server.url, cast.facilitator)
    page = phone_context.new_page()
    page.goto(f"/sessions/{session.pk}/attendance/")
    assert_no_horizontal_scroll(page)
    blair = page.get_by_role("group", name="Blair Member")
    blair.get_by_label("Left early").check()
    blair.get_by_label("Joined at").fill(_local(session, 30))
    blair.get_by_label("Left at").fill(_local(session, 10))
    blair.get_by_role("button", name="Save Blair Member only").click()
    blair = page.get_by_role("group", name="Blair Member")
    expect(blair.get_by_text("The leaving time must be after the joining time.")).to_be_visible()
    if Attendance.objects.exists():
        pytest.fail("a row with a mistake was saved")
    blair.get_by_label("Left at").fill(_local(session, 50))
    blair.get_by_role("button", name="Save Blair Member only").click()
    expect(page.get_by_role("group", name="Blair Member").get_by_role("status")).to_have_text(
        "Saved."
    )
    assert_accessible(page)
    assert_no_horizontal_scroll(page)
    saved = list(Attendance.objects.values_list("client_id", "status"))
    if saved != [(cast.client_b.pk, "left_early")]:
        pytest.fail(f"saved {saved}")


def test_member_attests_and_sees_join(
    phone_context: BrowserContext,
    live_server: LiveServer,
    cast: Cast,
    session: GroupSession,
    before_session: None,
) -> None:
    sign_in_with_cookie(phone_context, live_server.url, cast.member)
    page: Page = phone_context.new_page()
    page.goto("/home/")
    page.get_by_role("link", name="Join the session").first.click()
    heading(page, "Join your session")
    assert_accessible(page)
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name="I'm in Illinois right now").click()
    join = page.get_by_role("link", name="Join the session")
    expect(join).to_be_visible()
    expect(join).to_have_attribute("href", f"/sessions/{session.pk}/join/")
    assert_accessible(page)
    assert_no_horizontal_scroll(page)
    attestation = StateAttestation.objects.get(session=session, client=cast.client)
    if (attestation.state, attestation.allowed) != ("IL", True):
        pytest.fail(f"attested {attestation.state}, allowed={attestation.allowed}")


def test_member_in_an_uncovered_state_is_told_what_to_do(
    phone_context: BrowserContext,
    live_server: LiveServer,
    cast: Cast,
    session: GroupSession,
    before_session: None,
) -> None:
    sign_in_with_cookie(phone_context, live_server.url, cast.member)
    page = phone_context.new_page()
    page.goto(f"/sessions/{session.pk}/attest/")
    page.get_by_label("The state you are in right now").select_option("FL")
    page.get_by_role("button", name="Confirm this state").click()
    expect(
        page.get_by_text(re.compile("only meet with you while you are in Illinois or Kansas"))
    ).to_be_visible()
    expect(page.get_by_role("link", name="Join the session")).to_have_count(0)
    expect(page.get_by_text(re.compile("call or text 988")).first).to_be_visible()
    assert_accessible(page)
    assert_no_horizontal_scroll(page)
