"""Notes journey (issue 7): a facilitator takes attendance for a 10-member session,
writes the group note and a short note per member on one screen and signs them all in
one action; the pages are axe clean and fit a 360 px phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from playwright.sync_api import BrowserContext, expect
from pytest_django.live_server_helper import LiveServer

from kindred.core.testing import Cast
from kindred.notes import services
from kindred.notes.models import AbsenceEntry, GroupNote, MemberNote, NoteStatus
from kindred.notes.testing import add_members, take_attendance, upcoming
from kindred.scheduling.attendance import seated_clients
from kindred.scheduling.models import GroupSession
from kindred.tests_browser.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    heading,
    open_page,
    sign_in_with_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def session(cast: Cast) -> GroupSession:
    """A session of group A with ten members (the cast's two and eight more)."""
    add_members(cast.group_a, 8)
    return upcoming(cast.group_a)


@pytest.fixture
def after_session(session: GroupSession) -> Iterator[None]:
    # Attendance and notes right after the session; the clock keeps running.
    with time_machine.travel(session.ends_at + timedelta(minutes=5), tick=True):
        yield


def test_facilitator_takes_attendance_writes_and_signs_ten_members_notes(
    context: BrowserContext,
    live_server: LiveServer,
    cast: Cast,
    session: GroupSession,
    after_session: None,
) -> None:
    members = seated_clients(session)
    if len(members) != 10:
        pytest.fail(f"expected 10 members, got {len(members)}")
    absent = members[-1]
    sign_in_with_cookie(context, live_server.url, cast.facilitator)
    page = context.new_page()
    page.goto(f"/sessions/{session.pk}/attendance/")
    heading(page, "Attendance: Steady Ground")
    for client in members:
        status = "No-show" if client == absent else "Present virtually"
        page.get_by_role("group", name=client.display_name).get_by_label(status).check()
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_text("Attendance saved.")).to_be_visible()

    page.get_by_role("link", name="Write notes").click()
    heading(page, "Notes: Steady Ground")
    assert_accessible(page)
    expect(page.get_by_text("Absent: an absence entry, no note")).to_be_visible()
    page.get_by_label("Themes").fill("Getting through the holidays; asking for help.")
    page.get_by_label("Interventions").fill("Grounding exercise; a round of check-ins.")
    page.get_by_label("Group process").fill("Warm and steady; one person held back.")
    # One part saves alone (htmx), the rest of the page stays as typed.
    first = members[0]
    card = page.locator(f"#part-member-{first.pk}")
    card.get_by_label("Data").fill("Spoke about a hard week; stayed engaged.")
    card.get_by_role("button", name=re.compile("^Save note for")).click()
    expect(page.locator(f"#part-member-{first.pk}").get_by_text("Saved.")).to_be_visible()
    for client in members[1:-1]:
        part = page.locator(f"#part-member-{client.pk}")
        part.get_by_label("Data").fill("Took part and listened.")
        part.get_by_label("Plan").fill("Continue weekly.")
    page.get_by_role("button", name="Sign all my notes").click()
    expect(page.get_by_text("Signed. The notes are locked")).to_be_visible()
    assert_accessible(page)
    expect(page.get_by_role("button", name="Sign all my notes")).to_have_count(0)

    note = GroupNote.objects.get(session=session)
    signed = MemberNote.objects.filter(session=session, status=NoteStatus.SIGNED).count()
    absences = list(AbsenceEntry.objects.values_list("client_id", flat=True))
    if note.status != NoteStatus.SIGNED or signed != 9 or absences != [absent.pk]:
        pytest.fail(f"group note {note.status}, {signed} member notes signed, {absences}")


def test_notes_pages_fit_a_phone(
    phone_context: BrowserContext,
    live_server: LiveServer,
    cast: Cast,
    session: GroupSession,
) -> None:
    take_attendance(session, cast.facilitator)
    with time_machine.travel(session.ends_at + timedelta(minutes=5), tick=True):
        services.group_note_save(
            actor=cast.facilitator, session=session, themes="Routines.", process="Steady."
        )
        services.member_note_save(
            actor=cast.facilitator,
            session=session,
            client_id=cast.client.pk,
            sections={"data": "Engaged throughout."},
            plan="Continue.",
        )
        services.notes_sign_all(actor=cast.facilitator, session=session)
        sign_in_with_cookie(phone_context, live_server.url, cast.facilitator)
        page = phone_context.new_page()
        for path in (
            f"/sessions/{session.pk}/notes/",
            "/notes/unsigned/",
            f"/clients/{cast.client.pk}/notes/",
        ):
            open_page(page, path)
            assert_no_horizontal_scroll(page)
            assert_accessible(page)
        sign_in_with_cookie(phone_context, live_server.url, cast.supervisor)
        for path in ("/notes/cosign/", f"/sessions/{session.pk}/notes/"):
            open_page(page, path)
            assert_no_horizontal_scroll(page)
            assert_accessible(page)
        page.get_by_role("button", name="Co-sign the group note").click()
        expect(page.get_by_text("Co-signed.")).to_be_visible()
