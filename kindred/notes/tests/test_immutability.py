"""Signed notes are unchangeable in the database itself: a raw UPDATE is refused (only
the co-signature may change a signed note), and addenda and absence entries are never
updated. Runs on SQLite and, in CI, on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from kindred.notes import services
from kindred.notes.models import GroupNote, MemberNote, NoteStatus
from kindred.notes.testing import add_members, after, take_attendance, upcoming


def raw(sql: str, *params: int | str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def signed(cast, session):
    with after(session):
        services.group_note_save(actor=cast.facilitator, session=session, themes="Trust.")
        services.member_note_save(
            actor=cast.facilitator, session=session, client_id=cast.client.pk, plan="Weekly."
        )
        services.notes_sign_all(actor=cast.facilitator, session=session)
    return GroupNote.objects.get(), MemberNote.objects.get()


def test_a_raw_update_of_a_signed_note_is_refused(signed):
    group, member = signed
    with pytest.raises(DatabaseError):
        raw("UPDATE notes_groupnote SET themes = %s WHERE id = %s", "Rewritten", group.pk)
    with pytest.raises(DatabaseError):
        raw("UPDATE notes_membernote SET plan = %s WHERE id = %s", "Rewritten", member.pk)
    with pytest.raises(DatabaseError):  # back to draft, to edit it
        raw("UPDATE notes_groupnote SET status = 'draft' WHERE id = %s", group.pk)
    with pytest.raises(DatabaseError):  # the co-signature cannot carry a change
        raw(
            "UPDATE notes_groupnote SET status = 'cosigned', cosigned_at = signed_at, "
            "themes = 'Sneaky' WHERE id = %s",
            group.pk,
        )
    group.refresh_from_db()
    member.refresh_from_db()
    assert group.themes == "Trust."
    assert member.plan == "Weekly."


def test_the_cosignature_alone_may_change_a_signed_note(signed, cast):
    group, _member = signed
    raw(
        "UPDATE notes_groupnote SET status = 'cosigned', cosigned_at = signed_at, "
        "cosigned_by_id = %s WHERE id = %s",
        cast.supervisor.pk,
        group.pk,
    )
    group.refresh_from_db()
    assert group.status == NoteStatus.COSIGNED
    with pytest.raises(DatabaseError):  # and never again
        raw("UPDATE notes_groupnote SET cosigned_by_id = NULL WHERE id = %s", group.pk)


def test_drafts_change_freely(cast):
    s = upcoming(cast.group_a)
    take_attendance(s, cast.facilitator)
    with after(s):
        note = services.group_note_save(actor=cast.facilitator, session=s, themes="Draft")
    raw("UPDATE notes_groupnote SET themes = 'Edited' WHERE id = %s", note.pk)
    note.refresh_from_db()
    assert note.themes == "Edited"


def test_addenda_and_absence_entries_are_never_updated(cast):
    s = upcoming(cast.group_a)
    add_members(cast.group_a, 1)
    take_attendance(s, cast.facilitator, absent=[cast.client_b])
    with after(s):
        services.group_note_save(actor=cast.facilitator, session=s, themes="Trust.")
        result = services.notes_sign_all(actor=cast.facilitator, session=s)
        assert result.group_note is not None
        addendum = services.addendum_add(
            actor=cast.facilitator, note=result.group_note, reason="Typo", text="Trust, not rust."
        )
    with pytest.raises(DatabaseError):
        raw("UPDATE notes_addendum SET text = 'x' WHERE id = %s", addendum.pk)
    with pytest.raises(DatabaseError):
        raw("UPDATE notes_absenceentry SET status = 'in_person'")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL refuses DELETE too")
def test_postgres_refuses_deleting_a_signed_note(signed):
    _group, _member = signed
    with pytest.raises(DatabaseError):
        raw("DELETE FROM notes_membernote")
