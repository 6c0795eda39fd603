"""Reading notes: the note-writing screen, a member's chart, the unsigned-notes
dashboard and the co-sign queue. Each loads in a constant number of queries whatever
the number of members or notes, and every read of notes is an access audit event (one
per member whose notes were shown)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.audit.models import AuditEvent, Category
from kindred.audit.services import audit_access
from kindred.core import context
from kindred.core.errors import NotPermitted
from kindred.groups.access import clinician_of
from kindred.groups.models import TherapyGroup
from kindred.notes import redaction
from kindred.notes.access import clinician_ids_for_notes, readable_sessions
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
from kindred.practice import roles as role_checks
from kindred.practice.roles import Role
from kindred.scheduling.attendance import seated_enrollments, session_zone
from kindred.scheduling.dashboard import sessions_run_by_q
from kindred.scheduling.models import (
    ATTENDED_STATUSES,
    Attendance,
    GroupSession,
    SessionStatus,
)

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client


def audit_member_reads(
    actor: User,
    action: str,
    client_ids: list[int],
    obj_type: str,
    obj_id: str,
    *,
    also: str | None = None,
) -> None:
    """One access event per member whose notes were read, in one insert (the fields
    ``audit.services.audit_access`` writes; the FHIR export does the same); ``also``:
    an event of the read of the object itself (no member), first in the same insert."""
    ids: list[int | None] = [*([None] if also else []), *sorted(set(client_ids))]
    if not ids:
        return
    ctx = context.current()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=actor,
                actor_label=actor.email,
                category=Category.ACCESS,
                action=also if pk is None and also else action,
                client_id=pk,
                object_type=obj_type,
                object_id=obj_id,
                ip=ctx.ip,
                request_id=ctx.request_id,
                via=ctx.via,
                detail={},
            )
            for pk in ids
        ]
    )


# --- The note-writing screen ------------------------------------------------------------


@dataclass
class Section:
    key: str
    heading: str
    prompt: str
    text: str = ""


@dataclass
class MemberRow:
    client: Client
    attendance: Attendance | None
    note: MemberNote | None
    facts: dict[str, Any]
    sections: list[Section]
    can_write: bool
    addenda: list[Addendum] = field(default_factory=list)
    can_cosign: bool = False

    @property
    def risk(self) -> str:
        return self.note.risk if self.note else ""

    @property
    def plan(self) -> str:
        return self.note.plan if self.note else ""


@dataclass
class AbsentRow:
    client: Client
    status: str
    label: str
    entry: AbsenceEntry | None


@dataclass
class NotesSheet:
    session: GroupSession
    group_note: GroupNote | None
    group_parts: list[Section]
    group_addenda: list[Addendum]
    members: list[MemberRow]
    absent: list[AbsentRow]
    can_write: bool
    can_write_group: bool
    names_named: dict[str, list[str]]
    note_format: str
    zone: ZoneInfo
    can_cosign_group: bool = False

    @property
    def my_drafts(self) -> int:
        return sum(1 for m in self.members if m.note and m.can_write and not m.note.is_signed) + (
            1 if self.can_write_group and self.group_note and not self.group_note.is_signed else 0
        )


def _sections(fmt: str, note: MemberNote | None) -> list[Section]:
    saved = (note.sections or {}) if note else {}
    return [
        Section(key=key, heading=label, prompt=prompt, text=saved.get(key, ""))
        for key, label, prompt in FORMAT_SECTIONS[fmt]
    ]


def notes_sheet(*, actor: User, session: GroupSession) -> NotesSheet:
    """Everything the note screen shows for ``session`` (authorized with
    ``access.get_session_for_notes``, its group loaded): at most six queries whatever
    the number of members — the session with its group note, the note settings and
    whether ``actor`` runs it; the members with their attendance, note and absence
    entry; the addenda of signed notes; the live facts of unsigned notes (two); and
    one insert for the audit events."""
    group_note, writes, rules = _sheet_session(actor, session)
    writer = writes and not session.is_cancelled
    signed_group = group_note is not None and group_note.is_signed
    by_id, attendance, notes, entries = _sheet_people(
        session, group_note.pk if group_note is not None and signed_group else None
    )
    attending = [c for c in by_id.values() if cid_attended(attendance.get(c.pk)) or c.pk in notes]
    live = session_facts(
        session,
        attendance,
        [c.pk for c in attending if not (notes.get(c.pk) and notes[c.pk].is_signed)],
    )
    addenda: dict[tuple[str, int], list[Addendum]] = {}
    note_ids = [n.pk for n in notes.values() if n.is_signed]
    if signed_group or note_ids:
        q = Q(member_note_id__in=note_ids)
        if signed_group and group_note:
            q |= Q(group_note_id=group_note.pk)
        for add in Addendum.objects.filter(q).select_related("author"):
            addenda.setdefault(_addendum_key(add), []).append(add)
    cosigner_of = _cosigner_of([group_note, *notes.values()])
    members = []
    for client in attending:
        mnote = notes.get(client.pk)
        fmt = mnote.format if mnote else rules.member_note_format
        members.append(
            MemberRow(
                client=client,
                attendance=attendance.get(client.pk),
                note=mnote,
                facts=mnote.facts if mnote and mnote.is_signed else live.get(client.pk, {}),
                sections=_sections(fmt, mnote),
                can_write=writer and _may_edit(actor, mnote),
                addenda=addenda.get(("member", mnote.pk), []) if mnote else [],
                can_cosign=bool(mnote and _cosigns(actor, mnote, cosigner_of)),
            )
        )
    absent = []
    for client in by_id.values():
        if client in attending:
            continue
        att = attendance.get(client.pk)
        absent.append(
            AbsentRow(
                client=client,
                status=att.status if att else "",
                label=str(att.get_status_display()) if att else "",
                entry=entries.get(client.pk),
            )
        )
    template = (group_note.template if group_note else None) or rules.group_note_template
    group_parts = [
        Section(
            key=part,
            heading=template.get(part, {}).get("heading", part.title()),
            prompt=template.get(part, {}).get("prompt", ""),
            text=getattr(group_note, part) if group_note else "",
        )
        for part in GROUP_PARTS
    ]
    can_write_group = writer and _may_edit(actor, group_note)
    names_named: dict[str, list[str]] = {}
    if group_note and not group_note.is_signed:
        people = [redaction.person_of(c) for c in by_id.values()]
        text = "\n".join(getattr(group_note, p) for p in GROUP_PARTS)
        names_named["group"] = [p.display_name for p in redaction.names_mentioned(text, people)]
    # The read of the screen and one read per member whose note was shown: one insert.
    audit_member_reads(
        actor,
        "notes.member_note.viewed",
        list(notes),
        "scheduling.groupsession",
        str(session.pk),
        also="notes.session_notes.viewed",
    )
    return NotesSheet(
        session=session,
        group_note=group_note,
        group_parts=group_parts,
        group_addenda=addenda.get(("group", group_note.pk), []) if group_note else [],
        members=members,
        absent=absent,
        can_write=writer,
        can_write_group=can_write_group,
        can_cosign_group=bool(group_note and _cosigns(actor, group_note, cosigner_of)),
        names_named={k: v for k, v in names_named.items() if v},
        note_format=rules.member_note_format,
        zone=session_zone(session),
    )


def _sheet_session(
    actor: User, session: GroupSession
) -> tuple[GroupNote | None, bool, NoteSettings]:
    """The session's group note (with who wrote, signed and co-signed it, and the
    author's supervisor), whether ``actor`` runs the session (``access.may_write_notes``:
    the lead or the substitute covering, or a co-facilitator) and the practice's note
    settings, in one query."""
    clinician = clinician_of(actor)
    co_facilitates = TherapyGroup.co_facilitators.through.objects.filter(
        therapygroup_id=OuterRef("group_id"),
        clinicianprofile_id=clinician.pk if clinician is not None else 0,
    )
    settings_row = NoteSettings.objects.filter(pk=1)
    row = (
        GroupSession.objects.filter(pk=session.pk)
        .select_related(*(f"group_note__{r}" for r in NOTE_PEOPLE))
        .annotate(
            sheet_co=Exists(co_facilitates),
            sheet_rules=Exists(settings_row),
            sheet_format=Subquery(settings_row.values("member_note_format")[:1]),
            sheet_template=Subquery(
                settings_row.values("group_note_template")[:1], output_field=JSONField()
            ),
        )
        .get()
    )
    group_note: GroupNote | None = getattr(row, "group_note", None)
    lead = session.substitute_facilitator_id or session.group.lead_facilitator_id
    writes = clinician is not None and (clinician.pk == lead or bool(row.sheet_co))
    rules = NoteSettings(pk=1)
    if row.sheet_rules:
        rules = NoteSettings(
            pk=1, member_note_format=row.sheet_format, group_note_template=row.sheet_template
        )
    return group_note, writes, rules


#: Who the status lines name, loaded with each note: author (and their supervisor, who
#: co-signs), signer, co-signer.
NOTE_PEOPLE = ("author__clinician__supervisor", "signed_by", "cosigned_by")


def _sheet_people(
    session: GroupSession, signed_group_note_id: int | None
) -> tuple[
    dict[int, Client], dict[int, Attendance], dict[int, MemberNote], dict[int, AbsenceEntry]
]:
    """The session's people by client id — the members with a place that day in name
    order, then those with a note but no place any more (an enrollment corrected later:
    they still show their note) — and their attendance, notes and absence entries."""
    by_id: dict[int, Client] = {}
    attendance: dict[int, Attendance] = {}
    notes: dict[int, MemberNote] = {}
    entries: dict[int, AbsenceEntry] = {}
    unseated: list[Client] = []
    for client in _sheet_clients(session, signed_group_note_id):
        att: Attendance | None = getattr(client, "sheet_att", None)
        mnote: MemberNote | None = getattr(client, "sheet_note", None)
        entry: AbsenceEntry | None = getattr(client, "sheet_absence", None)
        if att is not None:
            attendance[client.pk] = att
        if mnote is not None:
            mnote.client = client
            notes[client.pk] = mnote
        if entry is not None:
            entries[client.pk] = entry
        if getattr(client, "sheet_seated", False):
            by_id[client.pk] = client
        else:
            unseated.append(client)
    for client in sorted(unseated, key=lambda c: c.pk):
        by_id[client.pk] = client
    return by_id, attendance, notes, entries


def _sheet_clients(session: GroupSession, signed_group_note_id: int | None) -> list[Client]:
    """The members with a place at ``session`` and those with a note for it, in name
    order, each with ``sheet_att`` (their attendance), ``sheet_note`` (their note),
    ``sheet_absence`` (their absence entry in the signed group note) and
    ``sheet_seated``: one query."""
    from kindred.clients.models import Client as ClientModel

    seated = seated_enrollments(session).order_by()
    with_note = MemberNote.objects.filter(session=session).values("client_id")
    related = ["sheet_att", "sheet_absence", *(f"sheet_note__{r}" for r in NOTE_PEOPLE)]
    return list(
        ClientModel.objects.filter(Q(pk__in=seated.values("client_id")) | Q(pk__in=with_note))
        .annotate(
            sheet_att=FilteredRelation("attendance", condition=Q(attendance__session=session)),
            sheet_note=FilteredRelation("member_notes", condition=Q(member_notes__session=session)),
            sheet_absence=FilteredRelation(
                "note_absences",
                condition=Q(note_absences__group_note_id=signed_group_note_id or 0),
            ),
            sheet_seated=Exists(seated.filter(client_id=OuterRef("pk"))),
        )
        .select_related(*related)
        .order_by("legal_last_name", "legal_first_name", "pk")
    )


def cid_attended(att: Attendance | None) -> bool:
    return att is not None and att.status in ATTENDED_STATUSES


def _cosigner_of(notes: list[GroupNote | MemberNote | None]) -> dict[int, int]:
    """Author user id → their supervisor's user id, for the notes waiting for a
    co-signature (no query: loaded with the notes, see ``NOTE_PEOPLE``)."""
    cosigner_of: dict[int, int] = {}
    for note in notes:
        if note is None or not note.awaits_cosign:
            continue
        clinician = getattr(note.author, "clinician", None)
        if clinician is not None and clinician.supervisor is not None:
            cosigner_of[note.author_id] = clinician.supervisor.user_id
    return cosigner_of


def _cosigns(actor: User, note: GroupNote | MemberNote, cosigner_of: dict[int, int]) -> bool:
    return note.awaits_cosign and cosigner_of.get(note.author_id) == actor.pk


def _may_edit(actor: User, note: MemberNote | GroupNote | None) -> bool:
    return note is None or (not note.is_signed and note.author_id == actor.pk)


def _addendum_key(add: Addendum) -> tuple[str, int]:
    if add.group_note_id is not None:
        return ("group", add.group_note_id)
    return ("member", add.member_note_id or 0)


# --- A member's chart -------------------------------------------------------------------


@dataclass
class ChartEntry:
    session: GroupSession
    attendance_label: str
    attended: bool
    group_parts: list[Section]  # redacted; empty when there is no signed group note
    group_note: GroupNote | None
    member_note: MemberNote | None
    #: The member note's parts, risk and plan, with other members' names removed too.
    member_sections: list[Section]
    addenda: list[ChartAddendum]


@dataclass(frozen=True)
class ChartAddendum:
    reason: str
    text: str  # other members' names removed
    author: str
    created_at: datetime


CHART_SESSIONS = 50


def client_notes(*, actor: User, client: Client, limit: int = CHART_SESSIONS) -> list[ChartEntry]:
    """The notes of ``client`` (already authorized with ``clients.access.get_client_for``)
    in the sessions whose notes ``actor`` may read, newest first: the group note as the
    member's chart receives it (other members' names removed; signed notes only) and
    the member's own note. Audited as one read of the member's notes."""
    from kindred.clients.models import Client as ClientModel

    if clinician_ids_for_notes(actor) == []:
        raise NotPermitted(_("You can see this record but not its clinical notes."))
    rows = list(
        Attendance.objects.filter(client=client, session__in=readable_sessions(actor))
        .select_related("session__group")
        .order_by("-session__starts_at", "-session_id")[:limit]
    )
    session_ids = [r.session_id for r in rows]
    group_notes = {
        n.session_id: n
        for n in GroupNote.objects.filter(session_id__in=session_ids)
        .exclude(status=NoteStatus.DRAFT)
        .select_related("author", "signed_by", "cosigned_by")
    }
    member_notes = {
        n.session_id: n
        for n in MemberNote.objects.filter(
            session_id__in=session_ids, client=client
        ).select_related("author", "signed_by", "cosigned_by")
    }
    addenda: dict[tuple[str, int], list[Addendum]] = {}
    for add in Addendum.objects.filter(
        Q(group_note__in=[n.pk for n in group_notes.values()])
        | Q(member_note__in=[n.pk for n in member_notes.values()])
    ).select_related("author"):
        addenda.setdefault(_addendum_key(add), []).append(add)
    group_ids = {r.session.group_id for r in rows}
    people_by_group: dict[int, list[redaction.Person]] = {}
    for c in (
        ClientModel.objects.filter(enrollments__group_id__in=group_ids)
        .annotate(in_group=F("enrollments__group_id"))
        .distinct()
    ):
        people_by_group.setdefault(c.in_group, []).append(redaction.person_of(c))
    own = redaction.person_of(client)
    entries = []
    for row in rows:
        gnote = group_notes.get(row.session_id)
        people = people_by_group.get(row.session.group_id, [])
        parts: list[Section] = []
        if gnote is not None:
            template = gnote.template or {}
            parts = [
                Section(
                    key=part,
                    heading=template.get(part, {}).get("heading", part.title()),
                    prompt="",
                    text=redaction.redact(getattr(gnote, part), own=own, others=people),
                )
                for part in GROUP_PARTS
            ]
        mnote = member_notes.get(row.session_id)

        def clean(text: str, people: list[redaction.Person] = people) -> str:
            return redaction.redact(text, own=own, others=people)

        member_sections = []
        if mnote is not None:
            member_sections = [
                Section(key=x.key, heading=x.heading, prompt="", text=clean(x.text))
                for x in _sections(mnote.format, mnote)
            ]
            member_sections += [
                Section(key="risk", heading=str(_("Risk")), prompt="", text=clean(mnote.risk)),
                Section(key="plan", heading=str(_("Plan")), prompt="", text=clean(mnote.plan)),
            ]
        entries.append(
            ChartEntry(
                session=row.session,
                attendance_label=str(row.get_status_display()),
                attended=row.status in ATTENDED_STATUSES,
                group_parts=parts,
                group_note=gnote,
                member_note=mnote,
                member_sections=member_sections,
                addenda=[
                    ChartAddendum(
                        reason=clean(a.reason),
                        text=clean(a.text),
                        author=a.author.full_name,
                        created_at=a.created_at,
                    )
                    for a in [
                        *(addenda.get(("group", gnote.pk), []) if gnote else []),
                        *(addenda.get(("member", mnote.pk), []) if mnote else []),
                    ]
                ],
            )
        )
    audit_access(actor=actor, action="notes.member_notes.viewed", obj=client, client_id=client.pk)
    return entries


def redacted_group_note(note: GroupNote, client: Client) -> dict[str, str]:
    """The group note's parts as ``client``'s chart receives them (two queries)."""
    from kindred.clients.models import Client as ClientModel

    people = [
        redaction.person_of(c)
        for c in ClientModel.objects.filter(enrollments__group_id=note.session.group_id).distinct()
    ]
    own = redaction.person_of(client)
    return {
        part: redaction.redact(getattr(note, part), own=own, others=people) for part in GROUP_PARTS
    }


# --- The unsigned-notes dashboard -------------------------------------------------------


BUCKETS = ("today", "days_1_3", "days_4_7", "older")
PER_BUCKET = 50


@dataclass
class UnsignedRow:
    session: GroupSession
    group_status: str  # "", draft
    group_author: str
    member_drafts: int
    attended: int

    @property
    def no_one_attended(self) -> bool:
        """Attendance taken, nobody there, nothing written: the row offers to record
        the absences and close the session (``services.notes_close_unattended``)."""
        return (
            self.session.attendance_taken_at is not None
            and self.attended == 0
            and not self.group_status
            and not self.member_drafts
        )


@dataclass
class UnsignedDashboard:
    counts: dict[str, int]
    rows: dict[str, list[UnsignedRow]]
    scope: str  # "mine", "supervisees", "all"

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def dashboard_sessions(actor: User) -> tuple[QuerySet[GroupSession], str]:
    """The sessions whose notes ``actor`` answers for on the dashboard: the ones they
    run; a supervisor also their supervisees'; admins every session."""
    ids = clinician_ids_for_notes(actor)
    if ids is None:
        return GroupSession.objects.all(), "all"
    if not ids:
        return GroupSession.objects.none(), "mine"
    supervises = len(ids) > 1 or role_checks.has_role(actor, Role.SUPERVISOR)
    scope = "supervisees" if supervises else "mine"
    return GroupSession.objects.filter(sessions_run_by_q(ids, memo=actor)), scope


def _unsigned(sessions: QuerySet[GroupSession], now: datetime) -> QuerySet[GroupSession]:
    # The group note through a join (a session has at most one), not NOT EXISTS: inside
    # an OR PostgreSQL cannot turn NOT EXISTS into an anti-join and hashed every signed
    # note of the practice for each facilitator's page (24 ms at 26,000 notes); the
    # join probes the note index once per session in scope.
    member_draft = MemberNote.objects.filter(session=OuterRef("pk"), status=NoteStatus.DRAFT)
    return sessions.filter(status=SessionStatus.SCHEDULED, ends_at__lte=now).filter(
        Q(group_note__isnull=True) | Q(group_note__status=NoteStatus.DRAFT) | Exists(member_draft)
    )


def unsigned_sessions(actor: User, now: datetime) -> QuerySet[GroupSession]:
    """Sessions that have ended and are not cancelled, whose group note is missing or
    unsigned, or with an unsigned member note."""
    sessions, _scope = dashboard_sessions(actor)
    return _unsigned(sessions, now)


@dataclass
class ToWriteRow:
    """One of a facilitator's own sessions whose notes are still to write or sign."""

    session: GroupSession
    group_status: str  # "" (not started), draft, signed/cosigned (member drafts remain)
    member_drafts: bool
    attended: int

    @property
    def no_one_attended(self) -> bool:
        """Attendance taken, nobody there, nothing written: closed with one action
        (``services.notes_close_unattended``)."""
        return (
            self.session.attendance_taken_at is not None
            and self.attended == 0
            and not self.group_status
            and not self.member_drafts
        )


#: At most this many sessions on a facilitator's home panel (the total is given too).
TO_WRITE_ROWS = 5


def notes_to_write(
    actor: User, now: datetime, limit: int = TO_WRITE_ROWS
) -> tuple[list[ToWriteRow], int]:
    """The sessions ``actor`` runs (lead unless covered, co-facilitator or substitute;
    not their supervisees') whose notes are still to write or sign, oldest first, and
    how many there are: one query (the total is a window count over the rows)."""
    clinician = getattr(actor, "clinician", None) if actor.is_staff_member else None
    if clinician is None:
        return [], 0
    mine = GroupSession.objects.filter(sessions_run_by_q([clinician.pk], memo=actor))
    attended = (
        Attendance.objects.filter(session=OuterRef("pk"), status__in=ATTENDED_STATUSES)
        .order_by()
        .values("session")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    drafts = MemberNote.objects.filter(session=OuterRef("pk"), status=NoteStatus.DRAFT)
    sessions = list(
        _unsigned(mine, now)
        .select_related("group", "group_note")
        .annotate(
            total=Window(Count("pk")),
            n_attended=Coalesce(Subquery(attended, output_field=IntegerField()), 0),
            has_member_drafts=Exists(drafts),
        )
        .order_by("ends_at", "pk")[:limit]
    )
    rows = []
    for s in sessions:
        note = getattr(s, "group_note", None)
        rows.append(
            ToWriteRow(
                session=s,
                group_status=note.status if note else "",
                member_drafts=bool(s.has_member_drafts),
                attended=int(s.n_attended),
            )
        )
    total = int(sessions[0].total) if sessions else 0
    return rows, total


def _bounds(now: datetime, zone: ZoneInfo) -> dict[str, Q]:
    today = timezone.localtime(now, zone).replace(hour=0, minute=0, second=0, microsecond=0)
    d3, d7 = today - timedelta(days=3), today - timedelta(days=7)
    return {
        "today": Q(ends_at__gte=today),
        "days_1_3": Q(ends_at__lt=today, ends_at__gte=d3),
        "days_4_7": Q(ends_at__lt=d3, ends_at__gte=d7),
        "older": Q(ends_at__lt=d7),
    }


def unsigned_dashboard(
    *, actor: User, now: datetime | None = None, per_bucket: int = PER_BUCKET
) -> UnsignedDashboard:
    """Unsigned notes by age (today, 1–3 days, 4–7 days, older), by the practice's
    calendar. Two queries: the newest ``per_bucket`` session ids of each age with each
    age's count (one pass over the unsigned sessions, ranked with window functions),
    then those sessions with their group note's state."""
    from kindred.practice.settings import practice_settings

    now = now or timezone.now()
    zone = ZoneInfo(practice_settings().timezone)
    _sessions, scope = dashboard_sessions(actor)
    base = unsigned_sessions(actor, now)
    bounds = _bounds(now, zone)
    # Finding unsigned sessions is an anti-join over every ended session in scope; it
    # used to run five times (the counts, then each age's page). Now once: each row is
    # labelled with its age, ranked newest first within it and told the age's size.
    age = Case(*(When(q, then=Value(name)) for name, q in bounds.items()), output_field=CharField())
    ranked = (
        base.annotate(age=age)
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("age")], order_by=[F("ends_at").desc(), F("pk").desc()]
            ),
            in_age=Window(Count("pk"), partition_by=[F("age")]),
        )
        .filter(rank__lte=per_bucket)
        .order_by("age", "rank")
        .values_list("pk", "age", "in_age")
    )
    counts: dict[str, int] = {}
    picked: dict[str, list[int]] = {name: [] for name in BUCKETS}
    for pk, name, in_age in ranked:
        picked[name].append(pk)
        counts[name] = in_age
    wanted = [pk for ids in picked.values() for pk in ids]
    details = (
        {
            s.pk: s
            for s in GroupSession.objects.filter(pk__in=wanted)
            .select_related("group", "group_note__author")
            .annotate(
                member_drafts=Count(
                    "member_notes", filter=Q(member_notes__status=NoteStatus.DRAFT), distinct=True
                ),
                attended=Count(
                    "attendance", filter=Q(attendance__status__in=ATTENDED_STATUSES), distinct=True
                ),
            )
        }
        if wanted
        else {}
    )
    rows: dict[str, list[UnsignedRow]] = {}
    for name, ids in picked.items():
        rows[name] = []
        for pk in ids:
            s = details[pk]
            note = getattr(s, "group_note", None)
            rows[name].append(
                UnsignedRow(
                    session=s,
                    group_status=note.status if note else "",
                    group_author=note.author.full_name if note else "",
                    member_drafts=s.member_drafts,
                    attended=s.attended,
                )
            )
    return UnsignedDashboard(
        counts={name: int(counts.get(name) or 0) for name in BUCKETS}, rows=rows, scope=scope
    )


# --- The co-sign queue ------------------------------------------------------------------


@dataclass
class QueueItem:
    kind: str  # "group" | "member"
    note: GroupNote | MemberNote


def cosign_queue(*, actor: User, limit: int = 200) -> list[QueueItem]:
    """Signed notes of ``actor``'s supervisees waiting for their co-signature, oldest
    first (two queries)."""
    clinician = getattr(actor, "clinician", None) if actor.is_staff_member else None
    if clinician is None:
        return []
    of_mine = Q(
        status=NoteStatus.SIGNED, needs_cosign=True, author__clinician__supervisor=clinician
    )
    group = GroupNote.objects.filter(of_mine).select_related("session__group", "author")
    member = MemberNote.objects.filter(of_mine).select_related("session__group", "author", "client")
    items = [QueueItem("group", n) for n in group.order_by("signed_at", "pk")[:limit]]
    items += [QueueItem("member", n) for n in member.order_by("signed_at", "pk")[:limit]]
    items.sort(key=lambda i: (i.note.signed_at or timezone.now(), i.kind, i.note.pk))
    return items[:limit]


def cosign_queue_count(actor: User) -> int:
    clinician = getattr(actor, "clinician", None) if actor.is_staff_member else None
    if clinician is None:
        return 0
    of_mine = Q(
        status=NoteStatus.SIGNED, needs_cosign=True, author__clinician__supervisor=clinician
    )
    return GroupNote.objects.filter(of_mine).count() + MemberNote.objects.filter(of_mine).count()
