"""Writing, signing, co-signing and adding to notes: the rules, the bad inputs of issue 7
(nothing changed), late entries, absence entries and the audit trail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kindred.audit.models import AuditEvent
from kindred.core.errors import InvalidState, NotFound, NotPermitted, ValidationFailed
from kindred.core.testing import Cast
from kindred.notes import services
from kindred.notes.access import get_note_for, get_session_for_notes
from kindred.notes.models import (
    AbsenceEntry,
    Addendum,
    GroupNote,
    MemberNote,
    NoteSettings,
    NoteStatus,
    SignedNoteError,
)
from kindred.notes.note_settings import note_settings_update, session_is_billable
from kindred.notes.testing import add_members, after, at, take_attendance, upcoming
from kindred.scheduling.models import AttendanceStatus, GroupSession


def write_all(
    cast: Cast, session: GroupSession, *, themes: str = "Coping with the holidays."
) -> tuple[GroupNote, MemberNote]:
    with after(session):
        g = services.group_note_save(
            actor=cast.facilitator, session=session, themes=themes, process="Warm, engaged."
        )
        m = services.member_note_save(
            actor=cast.facilitator,
            session=session,
            client_id=cast.client.pk,
            sections={"data": "Spoke about family plans.", "assessment": "Steady."},
            risk="No risk noted.",
            plan="Continue weekly.",
        )
    return g, m


def test_facilitator_writes_and_signs_everything_in_one_action(cast, session):
    g, m = write_all(cast, session)
    assert g.status == m.status == NoteStatus.DRAFT
    assert m.format == "dap"
    assert m.facts["attendance"]["status"] == AttendanceStatus.PRESENT_VIRTUAL
    with after(session):
        result = services.notes_sign_all(actor=cast.facilitator, session=session)
    assert result.group_note is not None
    assert len(result.member_notes) == 1
    g.refresh_from_db()
    m.refresh_from_db()
    assert g.status == NoteStatus.SIGNED
    assert m.status == NoteStatus.SIGNED
    assert g.text_sha256 == g.content_hash()
    assert len(g.text_sha256) == 64
    assert g.signed_by == cast.facilitator
    assert not g.late_entry
    # The facilitator is supervised and the practice requires co-signing by default.
    assert g.needs_cosign
    assert m.needs_cosign
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "notes.group_note.created",
        "notes.member_note.created",
        "notes.group_note.signed",
        "notes.member_note.signed",
    } <= actions
    signed = AuditEvent.objects.get(action="notes.member_note.signed")
    assert signed.client_id == cast.client.pk
    assert "Spoke" not in str(signed.detail)  # never clinical content


def test_absent_members_get_an_absence_entry_not_a_note(cast):
    s = upcoming(cast.group_a)
    take_attendance(s, cast.facilitator, absent=[cast.client_b])
    with after(s):
        services.group_note_save(actor=cast.facilitator, session=s, themes="Boundaries.")
        with pytest.raises(ValidationFailed) as exc:
            services.member_note_save(
                actor=cast.facilitator, session=s, client_id=cast.client_b.pk, plan="x"
            )
        assert exc.value.field == "client"
        assert "absence entry" in exc.value.message
        services.notes_sign_all(actor=cast.facilitator, session=s)
    entry = AbsenceEntry.objects.get()
    assert entry.client == cast.client_b
    assert entry.status == AttendanceStatus.NO_SHOW
    assert not MemberNote.objects.exists()


def test_editing_a_signed_note_is_refused_and_nothing_changes(cast, session):
    g, m = write_all(cast, session)
    with after(session):
        services.notes_sign_all(actor=cast.facilitator, session=session)
        with pytest.raises(InvalidState, match="addendum"):
            services.group_note_save(actor=cast.facilitator, session=session, themes="Changed")
        with pytest.raises(InvalidState, match="addendum"):
            services.member_note_save(
                actor=cast.facilitator, session=session, client_id=cast.client.pk, plan="New"
            )
    g.refresh_from_db()
    m.refresh_from_db()
    assert g.themes == "Coping with the holidays."
    assert m.plan == "Continue weekly."
    # The model and the queryset refuse too.
    g.themes = "Rewritten"
    with pytest.raises(SignedNoteError):
        g.save()
    with pytest.raises(SignedNoteError):
        GroupNote.objects.filter(pk=g.pk).update(themes="Rewritten")
    with pytest.raises(SignedNoteError):
        MemberNote.objects.filter(pk=m.pk).delete()
    with pytest.raises(SignedNoteError):
        m.delete()


def test_signing_someone_elses_note_is_refused(cast, session):
    cast.group_a.co_facilitators.add(cast.clinician_b)
    g, _m = write_all(cast, session)
    with after(session):
        with pytest.raises(NotPermitted, match="Fern Facilitator"):
            services.note_sign(actor=cast.facilitator_b, note=g)
        with pytest.raises(NotPermitted, match="only they can sign"):
            services.notes_sign_all(actor=cast.facilitator_b, session=session)
        # A co-facilitator cannot change another's draft either.
        with pytest.raises(NotPermitted):
            services.group_note_save(actor=cast.facilitator_b, session=session, themes="Mine")
        # ... but writes their own member note, and signs only that.
        services.member_note_save(
            actor=cast.facilitator_b,
            session=session,
            client_id=cast.client_b.pk,
            sections={"data": "Quiet today."},
        )
        result = services.notes_sign_all(actor=cast.facilitator_b, session=session)
    assert result.group_note is None
    assert [n.client_id for n in result.member_notes] == [cast.client_b.pk]
    g.refresh_from_db()
    assert g.status == NoteStatus.DRAFT
    # facilitator_b has no supervisor: nothing to co-sign.
    assert not result.member_notes[0].needs_cosign


def test_a_note_for_a_member_not_enrolled_that_day_is_refused(cast, session):
    with after(session), pytest.raises(ValidationFailed) as exc:
        services.member_note_save(
            actor=cast.facilitator,
            session=session,
            client_id=cast.outsider_client.pk,
            sections={"data": "x"},
        )
    assert exc.value.field == "client"
    assert "did not have a place in the group" in exc.value.message
    assert not MemberNote.objects.exists()


def test_a_member_who_joined_after_the_session_has_no_note(cast):
    past = upcoming(cast.group_a)
    take_attendance(past, cast.facilitator)
    with at(past.ends_at + timedelta(days=1)):
        (late,) = add_members(cast.group_a, 1)
    with after(past, 30), pytest.raises(ValidationFailed, match="did not have a place"):
        services.member_note_save(actor=cast.facilitator, session=past, client_id=late.pk, plan="x")


def test_wrong_sections_and_long_text_are_refused(cast, session):
    with after(session):
        with pytest.raises(ValidationFailed) as exc:
            services.member_note_save(
                actor=cast.facilitator,
                session=session,
                client_id=cast.client.pk,
                sections={"subjective": "SOAP part in a DAP note"},
            )
        assert "subjective" in exc.value.errors
        with pytest.raises(ValidationFailed) as exc:
            services.group_note_save(actor=cast.facilitator, session=session, themes="x" * 10001)
        assert "themes" in exc.value.errors
    assert not GroupNote.objects.exists()
    assert not MemberNote.objects.exists()


def test_notes_wait_for_the_session_and_for_attendance(cast):
    s = upcoming(cast.group_a)
    with at(s.starts_at - timedelta(hours=1)), pytest.raises(InvalidState, match="started"):
        services.group_note_save(actor=cast.facilitator, session=s, themes="Early")
    with after(s):
        with pytest.raises(ValidationFailed, match="Take attendance first"):
            services.member_note_save(
                actor=cast.facilitator, session=s, client_id=cast.client.pk, plan="x"
            )
        services.group_note_save(actor=cast.facilitator, session=s, themes="Themes")
        with pytest.raises(ValidationFailed, match="Take attendance"):
            services.notes_sign_all(actor=cast.facilitator, session=s)
    with at(s.starts_at + timedelta(minutes=20)), pytest.raises(InvalidState, match="ended"):
        services.notes_sign_all(actor=cast.facilitator, session=s)


def test_an_empty_note_cannot_be_signed(cast, session):
    with after(session):
        services.group_note_save(actor=cast.facilitator, session=session, themes="  ")
        with pytest.raises(ValidationFailed) as exc:
            services.notes_sign_all(actor=cast.facilitator, session=session)
    assert "themes" in exc.value.errors


def test_a_note_signed_after_the_threshold_is_a_late_entry(cast, session):
    write_all(cast, session)
    with after(session, hours=73):
        result = services.notes_sign_all(actor=cast.facilitator, session=session)
    assert result.group_note is not None
    assert result.group_note.late_entry
    assert all(n.late_entry for n in result.member_notes)


def test_the_naming_warning_stops_signing_until_confirmed(cast, session):
    write_all(cast, session, themes="Blair shared a loss; Avery listened.")
    with after(session):
        with pytest.raises(services.NamesMentioned) as exc:
            services.notes_sign_all(actor=cast.facilitator, session=session)
        assert exc.value.field == "confirm_names"
        assert "Avery Member" in exc.value.message
        assert "Blair Member" in exc.value.message
        assert not GroupNote.objects.exclude(status=NoteStatus.DRAFT).exists()
        services.notes_sign_all(actor=cast.facilitator, session=session, names_confirmed=True)
    assert GroupNote.objects.get().status == NoteStatus.SIGNED
    signed = AuditEvent.objects.get(action="notes.group_note.signed")
    assert signed.detail["names_confirmed"] is True


def test_a_member_note_naming_another_member_warns_too(cast, session):
    with after(session):
        services.member_note_save(
            actor=cast.facilitator,
            session=session,
            client_id=cast.client.pk,
            sections={"data": "Avery supported Blair."},
        )
        with pytest.raises(services.NamesMentioned) as exc:
            services.notes_sign_all(actor=cast.facilitator, session=session)
    assert exc.value.by_note == {str(cast.client.pk): ["Blair Member"]}


def test_supervisor_cosigns_and_nobody_else_can(cast, session):
    g, _m = write_all(cast, session)
    with after(session):
        with pytest.raises(InvalidState, match="not signed"):
            services.note_cosign(actor=cast.supervisor, note=g)
        services.notes_sign_all(actor=cast.facilitator, session=session)
        for someone in (cast.facilitator, cast.facilitator_b, cast.admin):
            with pytest.raises(NotPermitted):
                services.note_cosign(actor=someone, note=g)
        services.note_cosign(actor=cast.supervisor, note=g)
        with pytest.raises(InvalidState, match="already"):
            services.note_cosign(actor=cast.supervisor, note=g)
    g.refresh_from_db()
    assert g.status == NoteStatus.COSIGNED
    assert g.cosigned_by == cast.supervisor
    assert g.themes == "Coping with the holidays."
    assert g.text_sha256 == g.content_hash()
    assert AuditEvent.objects.filter(action="notes.group_note.cosigned").count() == 1


def test_cosign_asks_who_before_the_notes_state(cast, session):
    """Issue 9: a reader who is not the author's supervisor is refused (NotPermitted,
    403) whatever the state: a draft, a co-signed note. Only the supervisor learns it."""
    g, _m = write_all(cast, session)
    with after(session):
        for someone in (cast.facilitator, cast.admin):
            with pytest.raises(NotPermitted):
                services.note_cosign(actor=someone, note=g)  # a draft
        services.notes_sign_all(actor=cast.facilitator, session=session)
        services.note_cosign(actor=cast.supervisor, note=g)
        for someone in (cast.facilitator, cast.admin):
            with pytest.raises(NotPermitted):
                services.note_cosign(actor=someone, note=g)  # already co-signed
    g.refresh_from_db()
    assert g.cosigned_by == cast.supervisor


def test_no_cosign_when_the_practice_does_not_require_it(cast, session):
    NoteSettings.objects.create(pk=1, cosign_supervisees=False)
    g, _m = write_all(cast, session)
    with after(session):
        services.notes_sign_all(actor=cast.facilitator, session=session)
        g.refresh_from_db()
        assert not g.needs_cosign
        with pytest.raises(InvalidState, match="does not need"):
            services.note_cosign(actor=cast.supervisor, note=g)


def test_addenda_correct_a_signed_note_with_a_reason(cast, session):
    g, m = write_all(cast, session)
    with after(session):
        with pytest.raises(InvalidState, match="draft"):
            services.addendum_add(actor=cast.facilitator, note=m, reason="r", text="t")
        services.notes_sign_all(actor=cast.facilitator, session=session)
    with after(session, 30):
        with pytest.raises(ValidationFailed) as exc:
            services.addendum_add(actor=cast.facilitator, note=m, reason=" ", text="")
        assert set(exc.value.errors) == {"reason", "text"}
        with pytest.raises(NotPermitted):
            services.addendum_add(actor=cast.facilitator_b, note=m, reason="r", text="t")
        add = services.addendum_add(
            actor=cast.facilitator, note=m, reason="Wrong date of plan", text="Plan: fortnightly."
        )
        services.addendum_add(actor=cast.supervisor, note=g, reason="Review", text="Seen.")
    assert add.created_at > session.ends_at
    assert len(add.text_sha256) == 64
    assert Addendum.objects.count() == 2
    event = AuditEvent.objects.get(action="notes.addendum.added", client_id=cast.client.pk)
    assert event.actor == cast.facilitator
    with pytest.raises(SignedNoteError):
        Addendum.objects.filter(pk=add.pk).update(text="changed")


def test_who_may_read_and_write_a_sessions_notes(cast, session):
    # Facilitator: read and write. Supervisor: read. Admin: read.
    assert get_session_for_notes(cast.facilitator, session.pk, write=True) == session
    assert get_session_for_notes(cast.supervisor, session.pk) == session
    assert get_session_for_notes(cast.admin, session.pk) == session
    with pytest.raises(NotPermitted):
        get_session_for_notes(cast.supervisor, session.pk, write=True)
    with pytest.raises(NotPermitted):
        get_session_for_notes(cast.admin, session.pk, write=True)
    # The coordinator sees the session, never its notes.
    with pytest.raises(NotPermitted):
        get_session_for_notes(cast.coordinator, session.pk)
    for stranger in (cast.facilitator_b, cast.billing, cast.member, cast.outsider):
        with pytest.raises(NotFound):
            get_session_for_notes(stranger, session.pk)
    g, _m = write_all(cast, session)
    with pytest.raises(NotFound):
        get_note_for(cast.facilitator_b, "group", g.pk)
    assert get_note_for(cast.supervisor, "group", g.pk) == g
    with after(session), pytest.raises(NotPermitted):
        services.group_note_save(actor=cast.supervisor, session=session, themes="x")


def test_a_substitute_writes_the_notes_of_the_session_they_cover(cast):

    s = upcoming(cast.group_a)
    s.substitute_facilitator = cast.clinician_b
    s.save(update_fields=["substitute_facilitator"])
    take_attendance(s, cast.facilitator_b)
    with after(s):
        note = services.group_note_save(actor=cast.facilitator_b, session=s, themes="Covered")
        # The lead is replaced for this session.
        with pytest.raises(NotPermitted):
            services.member_note_save(
                actor=cast.facilitator, session=s, client_id=cast.client.pk, plan="x"
            )
    assert note.author == cast.facilitator_b


def test_billable_only_once_signed_when_the_practice_says_so(cast, session):
    assert session_is_billable(session)
    note_settings_update(
        actor=cast.admin,
        member_note_format="dap",
        group_note_template={
            p: {"heading": p.title(), "prompt": ""} for p in ("themes", "interventions", "process")
        },
        late_entry_hours=48,
        cosign_supervisees=True,
        require_signed_for_billing=True,
    )
    assert not session_is_billable(session)
    write_all(cast, session)
    assert not session_is_billable(session)
    with after(session):
        services.notes_sign_all(actor=cast.facilitator, session=session)
    assert session_is_billable(session)


def test_settings_are_for_admins_and_checked(cast):
    template = {
        p: {"heading": p.title(), "prompt": ""} for p in ("themes", "interventions", "process")
    }
    kwargs: dict[str, Any] = {
        "member_note_format": "birp",
        "group_note_template": template,
        "late_entry_hours": 72,
        "cosign_supervisees": True,
        "require_signed_for_billing": False,
    }
    for someone in (cast.facilitator, cast.coordinator, cast.supervisor):
        with pytest.raises(NotPermitted):
            note_settings_update(actor=someone, **kwargs)
    with pytest.raises(ValidationFailed) as exc:
        note_settings_update(actor=cast.admin, **{**kwargs, "member_note_format": "xyz"})
    assert exc.value.field == "member_note_format"
    with pytest.raises(ValidationFailed) as exc:
        note_settings_update(actor=cast.admin, **{**kwargs, "late_entry_hours": 0})
    assert exc.value.field == "late_entry_hours"
    bad = {**template, "themes": {"heading": "", "prompt": ""}}
    with pytest.raises(ValidationFailed) as exc:
        note_settings_update(actor=cast.admin, **{**kwargs, "group_note_template": bad})
    assert "themes_heading" in exc.value.errors
    assert not NoteSettings.objects.exists()
    row = note_settings_update(actor=cast.admin, **kwargs)
    assert row.member_note_format == "birp"
    assert AuditEvent.objects.filter(action="notes.settings.changed").exists()
