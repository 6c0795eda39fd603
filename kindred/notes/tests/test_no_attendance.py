"""A session nobody attended: shown as "No one attended: record the absences and close"
on the unsigned-notes dashboard, the facilitator's home and the notes screen; one
action records each member's absence and signs a short group note in system wording.
Refused when anyone attended, before attendance or the end, once a note is started,
and for anyone but the session's facilitators; signed notes stay immutable."""

from __future__ import annotations

import re

import pytest

from kindred.audit.models import AuditEvent
from kindred.core.errors import InvalidState, NotPermitted
from kindred.core.testing import Cast, signed_in
from kindred.notes import services
from kindred.notes.models import AbsenceEntry, GroupNote, NoteStatus, SignedNoteError
from kindred.notes.selectors import unsigned_dashboard
from kindred.notes.testing import after, at, take_attendance, upcoming
from kindred.scheduling.models import AttendanceStatus, GroupSession

pytestmark = pytest.mark.django_db

CLOSE = "/sessions/{}/notes/no-attendance/"


@pytest.fixture
def empty(cast: Cast) -> GroupSession:
    """Group A's session next week: both members absent."""
    s = upcoming(cast.group_a)
    take_attendance(s, cast.facilitator, absent=[cast.client, cast.client_b])
    return s


def flat(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def test_closing_records_each_absence_and_signs_a_short_group_note(cast, empty):
    with after(empty):
        note = services.notes_close_unattended(actor=cast.facilitator, session=empty)
    note.refresh_from_db()
    assert note.status == NoteStatus.SIGNED
    assert note.author_id == cast.facilitator.pk
    assert note.signed_by_id == cast.facilitator.pk
    assert note.themes.startswith("No members attended this session.")
    assert note.text_sha256 == note.content_hash()
    assert not note.late_entry
    entries = {e.client_id: e.status for e in AbsenceEntry.objects.filter(group_note=note)}
    assert entries == {
        cast.client.pk: AttendanceStatus.NO_SHOW,
        cast.client_b.pk: AttendanceStatus.NO_SHOW,
    }
    created = AuditEvent.objects.get(action="notes.group_note.created", object_id=str(note.pk))
    assert created.detail["no_attendance"] is True
    signed = AuditEvent.objects.get(action="notes.group_note.signed", object_id=str(note.pk))
    assert signed.detail["absences"] == 2
    # Signed means immutable, as for any note.
    note.themes = "Changed."
    with pytest.raises(SignedNoteError):
        note.save()
    # And the session has left the unsigned list.
    with after(empty):
        board = unsigned_dashboard(actor=cast.facilitator)
    assert empty.pk not in [r.session.pk for rows in board.rows.values() for r in rows]


def test_a_supervisees_closing_note_waits_for_the_cosignature(cast, empty):
    """The facilitator has a supervisor in the cast: the note is theirs like any other."""
    with after(empty):
        note = services.notes_close_unattended(actor=cast.facilitator, session=empty)
    assert note.needs_cosign
    assert note.status == NoteStatus.SIGNED


def test_it_is_refused_when_anyone_attended(cast):
    s = upcoming(cast.group_a)
    take_attendance(s, cast.facilitator, absent=[cast.client_b])
    with after(s), pytest.raises(InvalidState, match="Members attended"):
        services.notes_close_unattended(actor=cast.facilitator, session=s)
    assert not GroupNote.objects.exists()


def test_it_is_refused_before_attendance_and_before_the_end(cast):
    s = upcoming(cast.group_a)
    with after(s), pytest.raises(InvalidState, match="Take attendance first"):
        services.notes_close_unattended(actor=cast.facilitator, session=s)
    take_attendance(s, cast.facilitator, absent=[cast.client, cast.client_b])
    with at(s.starts_at), pytest.raises(InvalidState, match="once the session has ended"):
        services.notes_close_unattended(actor=cast.facilitator, session=s)
    assert not GroupNote.objects.exists()


def test_it_is_refused_once_a_note_is_started(cast, empty):
    with after(empty):
        services.group_note_save(actor=cast.facilitator, session=empty, themes="Nobody came.")
        with pytest.raises(InvalidState, match="Notes have been started"):
            services.notes_close_unattended(actor=cast.facilitator, session=empty)
    note = GroupNote.objects.get()
    assert note.status == NoteStatus.DRAFT
    assert note.themes == "Nobody came."
    assert not AbsenceEntry.objects.exists()


def test_only_the_sessions_facilitators_may_close_it(cast, empty):
    with after(empty):
        for who in (cast.facilitator_b, cast.supervisor, cast.admin, cast.coordinator):
            with pytest.raises(NotPermitted):
                services.notes_close_unattended(actor=who, session=empty)
    assert not GroupNote.objects.exists()


def test_it_is_done_once(cast, empty):
    with after(empty):
        services.notes_close_unattended(actor=cast.facilitator, session=empty)
        with pytest.raises(InvalidState):
            services.notes_close_unattended(actor=cast.facilitator, session=empty)
    assert GroupNote.objects.count() == 1
    assert AbsenceEntry.objects.count() == 2


# --- Pages -------------------------------------------------------------------------------


def test_the_notes_screen_offers_the_one_action_and_it_closes_the_session(cast, empty):
    url = f"/sessions/{empty.pk}/notes/"
    with after(empty):
        http = signed_in(cast.facilitator)
        page = flat(http.get(url).content.decode())
        assert "No one attended" in page
        assert f'action="{CLOSE.format(empty.pk)}"' in page
        response = http.post(CLOSE.format(empty.pk))
        assert response.status_code == 302
        assert response["Location"] == url
        page = flat(http.get(url).content.decode())
    assert "Closed: each absence is recorded" in page
    assert f'action="{CLOSE.format(empty.pk)}"' not in page
    assert "No members attended this session." in page
    assert GroupNote.objects.get().is_signed


def test_the_dashboard_and_the_home_show_it_as_no_one_attended(cast, empty):
    with after(empty):
        http = signed_in(cast.facilitator)
        board = flat(http.get("/notes/unsigned/").content.decode())
        home = flat(http.get("/home/facilitator/").content.decode())
        supervisor_board = flat(signed_in(cast.supervisor).get("/notes/unsigned/").content.decode())
    for page in (board, home):
        assert "No one attended: record the absences and close." in page
        assert f'action="{CLOSE.format(empty.pk)}"' in page
    # The supervisor sees the state, and opens the session to act (they cannot close it).
    assert "No one attended: record the absences and close." in supervisor_board
    assert f'action="{CLOSE.format(empty.pk)}"' not in supervisor_board


def test_others_may_not_post_the_action(cast, empty):
    with after(empty):
        assert signed_in(cast.facilitator_b).post(CLOSE.format(empty.pk)).status_code == 404
        assert signed_in(cast.supervisor).post(CLOSE.format(empty.pk)).status_code == 403
        assert signed_in(cast.member).post(CLOSE.format(empty.pk)).status_code == 404
        assert signed_in(cast.facilitator).get(CLOSE.format(empty.pk)).status_code == 405
    assert not GroupNote.objects.exists()


def test_a_refusal_is_shown_as_a_message(cast):
    s = upcoming(cast.group_a)
    take_attendance(s, cast.facilitator, absent=[cast.client_b])
    with after(s):
        http = signed_in(cast.facilitator)
        response = http.post(CLOSE.format(s.pk), follow=True)
    assert "Members attended this session" in response.content.decode()
    assert not GroupNote.objects.exists()


# --- API ---------------------------------------------------------------------------------


def test_the_api_lists_and_closes_it(cast, empty):
    from django.test import Client as HttpClient

    from kindred.accounts.token_services import api_token_create

    raw, _ = api_token_create(actor=cast.facilitator, name="Notes", scopes=["notes:write"])
    reader, _ = api_token_create(actor=cast.facilitator, name="Read", scopes=["notes:read"])
    api = HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    read_only = HttpClient(HTTP_AUTHORIZATION=f"Bearer {reader}")
    url = f"/api/v1/sessions/{empty.pk}/notes/no-attendance/"
    with after(empty):
        rows = read_only.get("/api/v1/notes/unsigned/").json()["rows"]
        (row,) = [r for bucket in rows.values() for r in bucket if r["session_id"] == empty.pk]
        assert row["no_one_attended"] is True
        assert read_only.post(url).status_code == 403
        done = api.post(url)
        assert done.status_code == 200, done.content
        assert done.json() == {"group_note": GroupNote.objects.get().pk, "absences": 2}
        again = api.post(url)
        assert again.status_code == 409
        assert signed_in(cast.facilitator_b).post(url).status_code == 404
