"""Writing, signing, co-signing and adding to session notes.

Every function checks who may do it (notes/access.py), changes the rows and appends
the audit event in one transaction. Signed notes never change: corrections are
addenda. See models.py for what the database itself refuses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.core.errors import InvalidState, NotPermitted, ValidationFailed
from kindred.notes import redaction
from kindred.notes.access import may_write_notes, supervisor_user_id
from kindred.notes.facts import session_facts
from kindred.notes.models import (
    FORMAT_SECTIONS,
    GROUP_PARTS,
    AbsenceEntry,
    Addendum,
    GroupNote,
    MemberNote,
    NoteSettings,
    NoteStatus,
)
from kindred.notes.note_settings import note_settings
from kindred.scheduling.attendance import seated_clients, session_local_date
from kindred.scheduling.models import ATTENDED_STATUSES, Attendance, GroupSession

if TYPE_CHECKING:
    from kindred.accounts.models import User

TEXT_MAX = 10000
SHORT_TEXT_MAX = 4000
REASON_MAX = 300

Note = GroupNote | MemberNote
_ENTITY: dict[type[Note], str] = {GroupNote: "group_note", MemberNote: "member_note"}


class NamesMentioned(ValidationFailed):
    """The text of a note about to be signed names members. ``by_note`` lists, per
    note ("group" or the client id of a member note), the members named."""

    def __init__(self, by_note: dict[str, list[str]]):
        self.by_note = by_note
        names = sorted({n for ns in by_note.values() for n in ns})
        super().__init__(
            _(
                "The notes name %(names)s. Each member's chart receives the group note with "
                "other members' names removed, but it is safer to refer to members by "
                "role (“another member”). Change the text, or confirm that you have "
                "checked it and sign again."
            )
            % {"names": ", ".join(names)},
            field="confirm_names",
        )


@dataclass
class SignResult:
    group_note: GroupNote | None = None
    member_notes: list[MemberNote] = field(default_factory=list)


# --- Checks -------------------------------------------------------------------------------


def _require_writer(actor: User, session: GroupSession) -> None:
    if not may_write_notes(actor, session):
        raise NotPermitted(_("Only the session's facilitators write its notes."))


def _require_open(session: GroupSession, now: datetime) -> None:
    if session.is_cancelled:
        raise InvalidState(_("This session was cancelled, so it has no notes."))
    if now < session.starts_at:
        raise InvalidState(_("Notes can be written once the session has started."))


def _require_draft_of(actor: User, note: Note) -> None:
    if note.is_signed:
        raise InvalidState(
            _("This note is signed, so it cannot be changed. Add an addendum instead.")
        )
    if note.author_id != actor.pk:
        raise NotPermitted(
            _("%(name)s is writing this note; only they can change their draft.")
            % {"name": note.author.full_name}
        )


def _limit(errors: dict[str, list[str]], name: str, text: str, limit: int) -> None:
    if len(text) > limit:
        errors.setdefault(name, []).append(
            _("Keep this to %(n)d characters (it has %(m)d).") % {"n": limit, "m": len(text)}
        )


def _no_place(session: GroupSession) -> str:
    return _(
        "This person did not have a place in the group on %(date)s, so there is no note to "
        "write for them for this session."
    ) % {"date": date_format(session_local_date(session), "DATE_FORMAT")}


# --- Drafts -------------------------------------------------------------------------------


def group_note_save(
    *,
    actor: User,
    session: GroupSession,
    themes: str | None = None,
    interventions: str | None = None,
    process: str | None = None,
    now: datetime | None = None,
) -> GroupNote:
    """Create or change the draft group note of ``session``. A part given as None is
    left as it is (a per-section save)."""
    now = now or timezone.now()
    _require_writer(actor, session)
    _require_open(session, now)
    given = {"themes": themes, "interventions": interventions, "process": process}
    errors: dict[str, list[str]] = {}
    for name, value in given.items():
        if value is not None:
            _limit(errors, name, value, TEXT_MAX)
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        note = (
            GroupNote.objects.select_for_update()
            .select_related("author")
            .filter(session=session)
            .first()
        )
        created = note is None
        if note is None:
            note = GroupNote(
                session=session, author=actor, template=note_settings().group_note_template
            )
        else:
            _require_draft_of(actor, note)
        changed = []
        for name, value in given.items():
            if value is not None and getattr(note, name) != value:
                setattr(note, name, value)
                changed.append(name)
        if created or changed:
            note.save()
            audit_change(
                actor=actor,
                action="notes.group_note.created" if created else "notes.group_note.saved",
                obj=note,
                changed=changed,
                detail={"session": session.pk},
            )
    return note


def member_note_save(
    *,
    actor: User,
    session: GroupSession,
    client_id: int,
    sections: Mapping[str, str] | None = None,
    risk: str | None = None,
    plan: str | None = None,
    now: datetime | None = None,
) -> MemberNote:
    """Create or change the draft note of one attending member. Sections not given,
    and ``risk``/``plan`` given as None, are left as they are. The facts beside the note
    are snapshot again on every save."""
    now = now or timezone.now()
    _require_writer(actor, session)
    _require_open(session, now)
    with transaction.atomic():
        seated = {c.pk for c in seated_clients(session)}
        if client_id not in seated:
            raise ValidationFailed(_no_place(session), field="client")
        attendance = (
            Attendance.objects.filter(session=session, client_id=client_id)
            .select_related("client")
            .first()
        )
        if attendance is None:
            raise ValidationFailed(
                _("Take attendance first: a note is written for a member who was there."),
                field="client",
            )
        if attendance.status not in ATTENDED_STATUSES:
            raise ValidationFailed(
                _(
                    "%(name)s is recorded as “%(status)s”. Members who were not there get "
                    "an absence entry, not a note."
                )
                % {
                    "name": attendance.client.display_name,
                    "status": attendance.get_status_display(),
                },
                field="client",
            )
        note = (
            MemberNote.objects.select_for_update()
            .select_related("author")
            .filter(session=session, client_id=client_id)
            .first()
        )
        created = note is None
        if note is None:
            note = MemberNote(
                session=session,
                client_id=client_id,
                author=actor,
                format=note_settings().member_note_format,
            )
        else:
            _require_draft_of(actor, note)
        changed = _apply_member_text(note, sections, risk, plan)
        note.facts = session_facts(session, {client_id: attendance}, [client_id])[client_id]
        if created or changed:
            note.save()
            audit_change(
                actor=actor,
                action="notes.member_note.created" if created else "notes.member_note.saved",
                obj=note,
                client_id=client_id,
                changed=changed,
                detail={"session": session.pk},
            )
    return note


def _apply_member_text(
    note: MemberNote, sections: Mapping[str, str] | None, risk: str | None, plan: str | None
) -> list[str]:
    """Check and set the given parts of a member note; the names of those changed."""
    keys = [key for key, _label, _prompt in FORMAT_SECTIONS[note.format]]
    errors: dict[str, list[str]] = {}
    new_sections = dict(note.sections or {})
    for key, value in (sections or {}).items():
        if key not in keys:
            errors.setdefault(key, []).append(
                _("This note is written as %(format)s, which has no part “%(key)s”.")
                % {"format": note.get_format_display(), "key": key}
            )
            continue
        _limit(errors, key, value, SHORT_TEXT_MAX)
        new_sections[key] = value
    for name, given in (("risk", risk), ("plan", plan)):
        if given is not None:
            _limit(errors, name, given, SHORT_TEXT_MAX)
    if errors:
        raise ValidationFailed(errors=errors)
    changed = [k for k in keys if new_sections.get(k, "") != (note.sections or {}).get(k, "")]
    note.sections = {k: new_sections.get(k, "") for k in keys}
    for name, given in (("risk", risk), ("plan", plan)):
        if given is not None and getattr(note, name) != given:
            setattr(note, name, given)
            changed.append(name)
    return changed


# --- Signing ------------------------------------------------------------------------------


def _is_empty(note: Note) -> bool:
    if isinstance(note, GroupNote):
        return not any(getattr(note, part).strip() for part in GROUP_PARTS)
    return not (
        any((v or "").strip() for v in (note.sections or {}).values())
        or note.risk.strip()
        or note.plan.strip()
    )


def _member_text(note: MemberNote) -> str:
    return "\n".join([*(note.sections or {}).values(), note.risk, note.plan])


def _group_text(note: GroupNote) -> str:
    return "\n".join(getattr(note, part) for part in GROUP_PARTS)


def _people(session: GroupSession) -> list[redaction.Person]:
    """Everyone who held a place in the session's group at any time (one query): the
    names a note must not carry into another member's chart."""
    from kindred.clients.models import Client

    clients = Client.objects.filter(enrollments__group_id=session.group_id).distinct()
    return [redaction.person_of(c) for c in clients]


def _names_check(
    group_note: GroupNote | None, member_notes: list[MemberNote], session: GroupSession
) -> dict[str, list[str]]:
    people = _people(session)
    found: dict[str, list[str]] = {}
    if group_note is not None:
        named = redaction.names_mentioned(_group_text(group_note), people)
        if named:
            found["group"] = [p.display_name for p in named]
    for note in member_notes:
        others = [p for p in people if p.client_id != note.client_id]
        # The member's own name is fine in their own note: only the parts of another
        # member's name that the member does not share count.
        own = next((p for p in people if p.client_id == note.client_id), None)
        text = _member_text(note)
        named = [
            p for p in others if redaction.names_mentioned(text, [_without(p, own) if own else p])
        ]
        if named:
            found[str(note.client_id)] = [p.display_name for p in named]
    return found


def _without(person: redaction.Person, own: redaction.Person) -> redaction.Person:
    return redaction.Person(
        client_id=person.client_id,
        display_name=person.display_name,
        name_parts=person.name_parts - own.name_parts,
        emails=person.emails,
        phones=person.phones,
    )


def _sign(note: Note, *, actor: User, now: datetime, rules: NoteSettings) -> None:
    session = note.session
    note.status = NoteStatus.SIGNED
    note.signed_at = now
    note.signed_by = actor
    note.late_entry = now > session.ends_at + timedelta(hours=rules.late_entry_hours)
    note.needs_cosign = rules.cosign_supervisees and supervisor_user_id(actor) is not None
    note.text_sha256 = note.content_hash()
    note.save()


def _absences(group_note: GroupNote, session: GroupSession, now: datetime) -> int:
    """Absence entries for the members with a place who were not there (from the
    attendance; "" when none was recorded)."""
    seated = [c.pk for c in seated_clients(session)]
    status = dict(
        Attendance.objects.filter(session=session, client_id__in=seated).values_list(
            "client_id", "status"
        )
    )
    rows = [
        AbsenceEntry(
            group_note=group_note, client_id=cid, status=status.get(cid, ""), created_at=now
        )
        for cid in seated
        if status.get(cid) not in ATTENDED_STATUSES
    ]
    AbsenceEntry.objects.bulk_create(rows)
    return len(rows)


def _check_signable(
    session: GroupSession,
    group_note: GroupNote | None,
    member_notes: list[MemberNote],
    now: datetime,
) -> None:
    if session.is_cancelled:
        raise InvalidState(_("This session was cancelled, so it has no notes."))
    if now < session.ends_at:
        raise InvalidState(_("Notes can be signed once the session has ended."))
    errors: dict[str, list[str]] = {}
    if group_note is not None:
        if session.attendance_taken_at is None:
            errors.setdefault("__all__", []).append(
                _("Take attendance before signing the group note.")
            )
        if _is_empty(group_note):
            errors.setdefault("themes", []).append(
                _("Write at least one part of the group note before signing it.")
            )
    for note in member_notes:
        if _is_empty(note):
            errors.setdefault(f"member_{note.client_id}", []).append(
                _("Write something in this note before signing it.")
            )
    if errors:
        raise ValidationFailed(errors=errors)


def _sign_locked(
    *,
    actor: User,
    session: GroupSession,
    group_note: GroupNote | None,
    member_notes: list[MemberNote],
    names_confirmed: bool,
    now: datetime,
) -> SignResult:
    _check_signable(session, group_note, member_notes, now)
    if not names_confirmed:
        named = _names_check(group_note, member_notes, session)
        if named:
            raise NamesMentioned(named)
    rules = note_settings()
    result = SignResult()
    if group_note is not None:
        _sign(group_note, actor=actor, now=now, rules=rules)
        absences = _absences(group_note, session, now)
        audit_change(
            actor=actor,
            action="notes.group_note.signed",
            obj=group_note,
            changed=["status", "signed_at"],
            detail={
                "session": session.pk,
                "late_entry": group_note.late_entry,
                "needs_cosign": group_note.needs_cosign,
                "absences": absences,
                "names_confirmed": names_confirmed,
            },
        )
        result.group_note = group_note
    for note in member_notes:
        _sign(note, actor=actor, now=now, rules=rules)
        audit_change(
            actor=actor,
            action="notes.member_note.signed",
            obj=note,
            client_id=note.client_id,
            changed=["status", "signed_at"],
            detail={
                "session": session.pk,
                "late_entry": note.late_entry,
                "needs_cosign": note.needs_cosign,
            },
        )
        result.member_notes.append(note)
    return result


def notes_sign_all(
    *,
    actor: User,
    session: GroupSession,
    names_confirmed: bool = False,
    now: datetime | None = None,
) -> SignResult:
    """Sign, in one action, the group note and every member note of ``session`` that
    ``actor`` wrote and has not signed yet. The naming warning (``NamesMentioned``)
    stops it until ``names_confirmed``."""
    now = now or timezone.now()
    _require_writer(actor, session)
    with transaction.atomic():
        group_note = (
            GroupNote.objects.select_for_update()
            .select_related("author", "session")
            .filter(session=session)
            .first()
        )
        mine = (
            group_note
            if group_note is not None
            and group_note.author_id == actor.pk
            and not group_note.is_signed
            else None
        )
        member_notes = list(
            MemberNote.objects.select_for_update()
            .select_related("session")
            .filter(session=session, author=actor, status=NoteStatus.DRAFT)
            .order_by("client_id")
        )
        if mine is None and not member_notes:
            if group_note is not None and not group_note.is_signed:
                raise NotPermitted(
                    _("%(name)s wrote the group note; only they can sign it.")
                    % {"name": group_note.author.full_name}
                )
            raise InvalidState(_("There is no draft of yours to sign for this session."))
        # The locked rows must be the session we checked (a stale object is refreshed).
        session = GroupSession.objects.select_related("group").get(pk=session.pk)
        return _sign_locked(
            actor=actor,
            session=session,
            group_note=mine,
            member_notes=member_notes,
            names_confirmed=names_confirmed,
            now=now,
        )


def _unattended_text() -> dict[str, str]:
    """The group note of a session nobody attended, in plain system wording."""
    return {
        "themes": _(
            "No members attended this session. Each member's absence is recorded from "
            "the attendance."
        ),
        "interventions": _("None (no members attended)."),
        "process": _("None (no members attended)."),
    }


def notes_close_unattended(
    *, actor: User, session: GroupSession, now: datetime | None = None
) -> GroupNote:
    """Close a session that nobody attended, in one action: a short group note in
    system wording, signed by ``actor`` (late entry and co-signing as for any note),
    with an absence entry for each member who had a place. Refused before the session
    has ended or attendance is taken, once anyone attended, and when a note has been
    started (finish that one on the notes screen)."""
    now = now or timezone.now()
    _require_writer(actor, session)
    with transaction.atomic():
        session = (
            GroupSession.objects.select_for_update().select_related("group").get(pk=session.pk)
        )
        if session.is_cancelled:
            raise InvalidState(_("This session was cancelled, so it has no notes."))
        if now < session.ends_at:
            raise InvalidState(_("Notes can be signed once the session has ended."))
        if session.attendance_taken_at is None:
            raise InvalidState(_("Take attendance first: it records who was absent."))
        if Attendance.objects.filter(session=session, status__in=ATTENDED_STATUSES).exists():
            raise InvalidState(
                _("Members attended this session: write the notes on the notes screen.")
            )
        if (
            GroupNote.objects.filter(session=session).exists()
            or MemberNote.objects.filter(session=session).exists()
        ):
            raise InvalidState(
                _("Notes have been started for this session: finish them on the notes screen.")
            )
        note = GroupNote(
            session=session,
            author=actor,
            template=note_settings().group_note_template,
            **_unattended_text(),
        )
        note.save()
        audit_change(
            actor=actor,
            action="notes.group_note.created",
            obj=note,
            changed=list(GROUP_PARTS),
            detail={"session": session.pk, "no_attendance": True},
        )
        _sign_locked(
            actor=actor,
            session=session,
            group_note=note,
            member_notes=[],
            names_confirmed=True,  # system wording: it names nobody
            now=now,
        )
    return note


def note_sign(
    *, actor: User, note: Note, names_confirmed: bool = False, now: datetime | None = None
) -> Note:
    """Sign one note (its author only)."""
    now = now or timezone.now()
    with transaction.atomic():
        model = type(note)
        locked = model.objects.select_for_update().select_related("author").get(pk=note.pk)
        if locked.is_signed:
            raise InvalidState(_("This note is already signed."))
        if locked.author_id != actor.pk:
            raise NotPermitted(
                _("Only the note's author, %(name)s, can sign it.")
                % {"name": locked.author.full_name}
            )
        session = GroupSession.objects.select_related("group").get(pk=locked.session_id)
        _require_writer(actor, session)
        locked.session = session
        if isinstance(locked, GroupNote):
            _sign_locked(
                actor=actor,
                session=session,
                group_note=locked,
                member_notes=[],
                names_confirmed=names_confirmed,
                now=now,
            )
        else:
            _sign_locked(
                actor=actor,
                session=session,
                group_note=None,
                member_notes=[locked],
                names_confirmed=names_confirmed,
                now=now,
            )
    return locked


def note_cosign(*, actor: User, note: Note, now: datetime | None = None) -> Note:
    """The author's clinical supervisor co-signs a signed note. Anyone else: NotPermitted
    (403), whatever the note's state; the supervisor: InvalidState (409) for a draft, a
    co-signed note or one that needs no co-signature."""
    now = now or timezone.now()
    with transaction.atomic():
        model = type(note)
        locked = model.objects.select_for_update().select_related("author").get(pk=note.pk)
        # Who first (the access decision), then the note's state: someone who may read
        # the note but is not the author's supervisor learns nothing about its state.
        if supervisor_user_id(locked.author) != actor.pk:
            raise NotPermitted(_("Only the author's clinical supervisor can co-sign this note."))
        if locked.status == NoteStatus.DRAFT:
            raise InvalidState(_("The author has not signed this note yet."))
        if locked.status == NoteStatus.COSIGNED:
            raise InvalidState(_("This note is already co-signed."))
        if not locked.needs_cosign:
            raise InvalidState(_("This note does not need a co-signature."))
        locked.status = NoteStatus.COSIGNED
        locked.cosigned_at = now
        locked.cosigned_by = actor
        locked.save(update_fields=["status", "cosigned_at", "cosigned_by", "updated_at"])
        audit_change(
            actor=actor,
            action=f"notes.{_ENTITY[model]}.cosigned",
            obj=locked,
            client_id=getattr(locked, "client_id", None),
            changed=["status", "cosigned_at"],
            detail={"session": locked.session_id},
        )
    return locked


def may_add_addendum(actor: User, note: Note, session: GroupSession) -> bool:
    return (
        note.author_id == actor.pk
        or may_write_notes(actor, session)
        or supervisor_user_id(note.author) == actor.pk
    )


def addendum_add(
    *, actor: User, note: Note, reason: str, text: str, now: datetime | None = None
) -> Addendum:
    """Add to a signed note: a reason and the text, with who and when. The note's
    author, the session's facilitators and the author's supervisor may."""
    now = now or timezone.now()
    reason, text = (reason or "").strip(), (text or "").strip()
    with transaction.atomic():
        model = type(note)
        locked = model.objects.select_for_update().select_related("author").get(pk=note.pk)
        session = GroupSession.objects.select_related("group").get(pk=locked.session_id)
        if not may_add_addendum(actor, locked, session):
            raise NotPermitted(
                _("Only the note's author, the session's facilitators or the author's "
                  "supervisor can add to this note.")
            )  # fmt: skip
        if not locked.is_signed:
            raise InvalidState(_("This note is still a draft: change the draft instead."))
        errors: dict[str, list[str]] = {}
        if not reason:
            errors.setdefault("reason", []).append(_("Say why you are adding to the note."))
        if not text:
            errors.setdefault("text", []).append(_("Write the addendum."))
        _limit(errors, "reason", reason, REASON_MAX)
        _limit(errors, "text", text, TEXT_MAX)
        if errors:
            raise ValidationFailed(errors=errors)
        addendum = Addendum(
            group_note=locked if isinstance(locked, GroupNote) else None,
            member_note=locked if isinstance(locked, MemberNote) else None,
            author=actor,
            reason=reason,
            text=text,
            created_at=now,
            text_sha256=hashlib.sha256(f"{reason}\n{text}".encode()).hexdigest(),
        )
        addendum.save()
        audit_change(
            actor=actor,
            action="notes.addendum.added",
            obj=addendum,
            client_id=getattr(locked, "client_id", None),
            changed=["reason", "text"],
            detail={"note": f"{_ENTITY[model]}:{locked.pk}", "session": session.pk},
        )
    return addendum
