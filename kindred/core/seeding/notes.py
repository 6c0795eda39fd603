"""Session notes for the demo's past sessions, written through the real services.

For every past session with attendance, its facilitator (the lead, or the substitute
who covered) wrote the group note and a short note for each member who was there, and
signed them all a little after the session (``now=``); where the practice requires it
(the default) and the author has a supervisor, the supervisor co-signed the next day.

Left undone on purpose, so the pages have something to show:

- the most recent session with attendance of the first group keeps its notes as
  drafts (the unsigned-notes dashboard, "Write notes");
- the most recent signed session of a supervised facilitator waits for its
  co-signature (the supervisor's co-sign queue).

Synthetic, generic text only; no member is named in a group note.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from kindred.notes import services
from kindred.notes.access import supervisor_user_id
from kindred.notes.models import FORMAT_SECTIONS, AbsenceEntry, GroupNote, MemberNote, NoteStatus
from kindred.notes.note_settings import note_settings
from kindred.scheduling.models import (
    ATTENDED_STATUSES,
    Attendance,
    AttendanceStatus,
    GroupSession,
    SessionStatus,
)

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.groups.models import TherapyGroup

THEMES = (
    "Getting through the holidays; asking for help without feeling a burden.",
    "Sleep, routines and what gets in the way of them.",
    "Anger that comes out sideways; noticing it earlier.",
    "Loneliness after a loss; small steps back toward people.",
    "Worry about work and money; separating what can and cannot be changed.",
)
INTERVENTIONS = (
    "Grounding exercise at the start; check-in round; psychoeducation on the worry cycle.",
    "Thought record practised in pairs; review of last week's home practice.",
    "Values card sort; planning one small valued action for the week.",
    "Breathing practice; role-play of saying no kindly.",
)
PROCESS = (
    "Warm and steady; two gave each other useful feedback, one stayed quiet until the end.",
    "Some tension early about lateness, named and worked through; the group settled.",
    "More sharing than last week; the newest member spoke for the first time.",
    "Quieter session; the facilitators drew people in with pair work.",
)
DATA = (
    "Took part in every round; described a difficult week and how they coped.",
    "Listened closely; spoke briefly about sleep and a plan for the weekend.",
    "Shared a success with the home practice and encouraged another member.",
    "Arrived tense; settled after the grounding exercise and engaged in pair work.",
)
ASSESSMENT = (
    "Steady progress toward their goal of reaching out when low.",
    "Mood somewhat lower than last week; coping skills in use.",
    "Engagement improving; applying the skills between sessions.",
)
PLANS = (
    "Continue weekly; practise the thought record twice before next session.",
    "Continue weekly; check in on sleep routine next session.",
    "Continue weekly; review the values plan next time.",
)


def _author(session: GroupSession) -> User:
    clinician = session.substitute_facilitator or session.group.lead_facilitator
    return clinician.user


def _sessions_with_attendance(groups: Sequence[TherapyGroup], now: datetime) -> list[GroupSession]:
    return list(
        GroupSession.objects.filter(
            group__in=list(groups),
            status=SessionStatus.SCHEDULED,
            ends_at__lte=now,
            attendance_taken_at__isnull=False,
        )
        .select_related("group__lead_facilitator__user", "substitute_facilitator__user")
        .order_by("group_id", "starts_at", "pk")
    )


def _write(session: GroupSession, rng: Random, when: datetime) -> list[int]:
    author = _author(session)
    services.group_note_save(
        actor=author,
        session=session,
        themes=rng.choice(THEMES),
        interventions=rng.choice(INTERVENTIONS),
        process=rng.choice(PROCESS),
        now=when,
    )
    attended = list(
        Attendance.objects.filter(session=session, status__in=ATTENDED_STATUSES)
        .order_by("client_id")
        .values_list("client_id", flat=True)
    )
    for client_id in attended:
        services.member_note_save(
            actor=author,
            session=session,
            client_id=client_id,
            sections={"data": rng.choice(DATA), "assessment": rng.choice(ASSESSMENT)},
            risk="None noted.",
            plan=rng.choice(PLANS),
            now=when,
        )
    return attended


def seed_demo_notes(*, groups: Sequence[TherapyGroup], seed: int) -> dict[str, int]:
    """Notes for the demo groups' past sessions (see the module docstring). Call after
    attendance and measures are seeded. Returns counts by state."""
    rng = Random(seed)  # noqa: S311 - synthetic text, not secrets
    now = timezone.now()
    sessions = _sessions_with_attendance(groups, now)
    if not sessions:
        return {"draft": 0, "signed": 0, "cosigned": 0}
    first_group = groups[0].pk if groups else None
    unsigned = max(
        (s for s in sessions if s.group_id == first_group), key=lambda s: s.starts_at, default=None
    )
    waiting: GroupSession | None = None
    signed_by_author: list[tuple[GroupSession, User]] = []
    for session in sessions:
        written = session.ends_at + timedelta(hours=2)
        _write(session, rng, min(written, now))
        if session == unsigned:
            continue
        author = _author(session)
        services.notes_sign_all(actor=author, session=session, now=min(written, now))
        signed_by_author.append((session, author))
    supervised = [(s, a) for s, a in signed_by_author if supervisor_user_id(a) is not None]
    if supervised:
        waiting = max(supervised, key=lambda pair: pair[0].starts_at)[0]
    from kindred.accounts.models import User as UserModel

    for session, author in supervised:
        if session == waiting:
            continue
        supervisor = UserModel.objects.get(pk=supervisor_user_id(author) or 0)
        cosign_at = min(session.ends_at + timedelta(days=1), now)
        notes: list[GroupNote | MemberNote] = [
            *GroupNote.objects.filter(session=session, needs_cosign=True),
            *MemberNote.objects.filter(session=session, needs_cosign=True),
        ]
        for note in notes:
            services.note_cosign(actor=supervisor, note=note, now=cosign_at)
    return {
        state: GroupNote.objects.filter(session__group__in=list(groups), status=state).count()
        for state in (NoteStatus.DRAFT, NoteStatus.SIGNED, NoteStatus.COSIGNED)
    }


# --- The scale data set ------------------------------------------------------------------

#: Text for every format's sections (FORMAT_SECTIONS), so any practice setting works.
SECTION_TEXT: dict[str, tuple[str, ...]] = {
    "data": DATA,
    "subjective": (
        "Reported a hard week at work and better sleep since last session.",
        "Said the breathing practice helped before a difficult conversation.",
    ),
    "objective": (
        "Engaged in every round; calm affect; on time.",
        "Quiet at first, then took part in pair work.",
    ),
    "assessment": ASSESSMENT,
    "behavior": DATA,
    "intervention": INTERVENTIONS,
    "response": (
        "Responded well; named one skill to practise this week.",
        "Some resistance to the exercise, then engaged with support from the group.",
    ),
}
RISKS = ("None noted.", "None noted.", "None noted.", "No thoughts of harm reported; coping.")
#: The share of sessions of the last fortnight whose notes are still unsigned.
UNSIGNED_SHARE = 0.05
#: The share of supervised clinicians' notes of the last week still waiting for the
#: supervisor's co-signature.
WAITING_SHARE = 0.5


def _attendance_facts(
    status: str, joined: datetime | None, left: datetime | None, zone: Any
) -> dict[str, Any]:
    def hhmm(value: datetime | None) -> str:
        return timezone.localtime(value, zone).strftime("%H:%M") if value else ""

    return {
        "attendance": {
            "status": status,
            "label": str(AttendanceStatus(status).label),
            "joined": hhmm(joined),
            "left": hhmm(left),
        },
        "scores": [],
        "pulse": None,
        "alerts": [],
    }


@dataclass
class _Signing:
    """How one session's notes were left: not started, drafts, signed, or co-signed."""

    state: str  # "none", "draft", "signed", "cosigned"
    author_id: int
    signed_at: datetime | None = None
    late: bool = False
    needs_cosign: bool = False
    cosigned_at: datetime | None = None
    cosigned_by: int | None = None


def _signed_fields(note: GroupNote | MemberNote, how: _Signing) -> None:
    if how.state == "draft":
        return
    note.status = NoteStatus.COSIGNED if how.state == "cosigned" else NoteStatus.SIGNED
    note.signed_at = how.signed_at
    note.signed_by_id = how.author_id
    note.late_entry = how.late
    note.needs_cosign = how.needs_cosign
    note.cosigned_at = how.cosigned_at
    note.cosigned_by_id = how.cosigned_by
    note.text_sha256 = note.content_hash()


class _ScaleNotes:
    """The facts ``seed_scale_notes`` works from (loaded once) and how it decides each
    session's notes."""

    def __init__(self, group_ids: list[int], *, now: datetime, seed: int) -> None:
        from kindred.groups.models import TherapyGroup
        from kindred.practice.models import ClinicianProfile

        # One stream per kind of draw, each taken in session order, so that the data
        # does not depend on the batch size.
        self.rng = Random(f"{seed}:notes")  # noqa: S311 - synthetic data, not secrets
        self.text = Random(f"{seed}:group note text")  # noqa: S311
        self.members = Random(f"{seed}:member notes")  # noqa: S311
        self.now = now
        rules = note_settings()
        self.format = rules.member_note_format
        self.keys = [key for key, _label, _prompt in FORMAT_SECTIONS[self.format]]
        self.template = rules.group_note_template
        self.late_after = timedelta(hours=rules.late_entry_hours)
        self.cosign = rules.cosign_supervisees
        self.groups = {
            pk: (lead, ZoneInfo(tz))
            for pk, lead, tz in TherapyGroup.objects.filter(pk__in=group_ids).values_list(
                "pk", "lead_facilitator_id", "timezone"
            )
        }
        self.profiles = dict(ClinicianProfile.objects.values_list("pk", "user_id"))
        self.supervisor_of = {
            user_id: self.profiles[sup]
            for user_id, sup in ClinicianProfile.objects.filter(
                supervisor__isnull=False
            ).values_list("user_id", "supervisor_id")
        }

    def signing(self, group_id: int, substitute_id: int | None, ends: datetime) -> _Signing:
        rng, now = self.rng, self.now
        author = self.profiles[substitute_id or self.groups[group_id][0]]
        how = _Signing("signed", author)
        if ends >= now - timedelta(days=14) and rng.random() < UNSIGNED_SHARE:
            how.state = "draft" if rng.random() < 0.5 else "none"
            return how
        hours = rng.uniform(1, 30) if rng.random() > 0.03 else rng.uniform(80, 200)
        how.signed_at = min(ends + timedelta(hours=hours), now)
        how.late = how.signed_at > ends + self.late_after
        supervisor = self.supervisor_of.get(author) if self.cosign else None
        how.needs_cosign = supervisor is not None
        waiting = ends >= now - timedelta(days=7) and rng.random() < WAITING_SHARE
        if supervisor is not None and not waiting:
            how.state = "cosigned"
            how.cosigned_at = min(how.signed_at + timedelta(hours=rng.uniform(4, 48)), now)
            how.cosigned_by = supervisor
        return how

    def group_note(self, session_id: int, how: _Signing) -> GroupNote:
        rng = self.text
        note = GroupNote(
            session_id=session_id,
            author_id=how.author_id,
            themes=rng.choice(THEMES),
            interventions=rng.choice(INTERVENTIONS),
            process=rng.choice(PROCESS),
            template=self.template,
        )
        _signed_fields(note, how)
        return note

    def member_note(
        self, session_id: int, how: _Signing, zone: ZoneInfo, row: tuple[Any, ...]
    ) -> MemberNote:
        rng = self.members
        client_id, status, joined, left = row
        note = MemberNote(
            session_id=session_id,
            client_id=client_id,
            author_id=how.author_id,
            format=self.format,
            sections={key: rng.choice(SECTION_TEXT[key]) for key in self.keys},
            risk=rng.choice(RISKS),
            plan=rng.choice(PLANS),
            facts=_attendance_facts(status, joined, left, zone),
        )
        _signed_fields(note, how)
        return note


def _attendance_rows(session_ids: list[int]) -> dict[int, list[tuple[Any, ...]]]:
    rows: dict[int, list[tuple[Any, ...]]] = {}
    for session_id, *row in (
        Attendance.objects.filter(session_id__in=session_ids)
        .order_by("session_id", "client_id")
        .values_list("session_id", "client_id", "status", "joined_at", "left_at")
    ):
        rows.setdefault(session_id, []).append(tuple(row))
    return rows


def seed_scale_notes(
    group_ids: Iterable[int],
    *,
    now: datetime,
    seed: int,
    batch_size: int = 2000,
    progress: Callable[[int], object] = lambda n: None,
) -> int:
    """Notes for every past session with attendance of ``group_ids``, bulk-inserted
    already signed (the database refuses to change a signed note): the group note, a
    member note for each member who was there and an absence entry for each who was
    not, signed by the session's facilitator a few hours after it (now and then days
    later: a late entry) and, for supervised clinicians, co-signed within two days.
    About one session in twenty of the last fortnight is left unsigned (half as
    drafts, half not started), and about half of a supervised clinician's notes of the
    last week still wait for the co-signature. Deterministic (seeded); returns rows
    written."""
    ids = list(group_ids)
    seeder = _ScaleNotes(ids, now=now, seed=seed)
    sessions = list(
        GroupSession.objects.filter(
            group_id__in=ids,
            status=SessionStatus.SCHEDULED,
            ends_at__lte=now,
            attendance_taken_at__isnull=False,
        )
        .order_by("id")
        .values_list("pk", "group_id", "substitute_facilitator_id", "ends_at")
    )
    written = 0
    for start in range(0, len(sessions), batch_size):
        chunk = sessions[start : start + batch_size]
        rows = _attendance_rows([s[0] for s in chunk])
        planned: list[tuple[int, int, _Signing]] = []
        for session_id, group_id, substitute_id, ends in chunk:
            how = seeder.signing(group_id, substitute_id, ends)
            if how.state != "none":
                planned.append((session_id, group_id, how))
        group_notes = [seeder.group_note(session_id, how) for session_id, _g, how in planned]
        GroupNote.objects.bulk_create(group_notes, batch_size=batch_size)
        member_notes: list[MemberNote] = []
        absences: list[AbsenceEntry] = []
        for note, (session_id, group_id, how) in zip(group_notes, planned, strict=True):
            zone = seeder.groups[group_id][1]
            for row in rows.get(session_id, ()):
                if row[1] not in ATTENDED_STATUSES:
                    if how.signed_at is not None:
                        absences.append(
                            AbsenceEntry(
                                group_note=note,
                                client_id=row[0],
                                status=row[1],
                                created_at=how.signed_at,
                            )
                        )
                elif how.state != "draft" or seeder.members.random() >= 0.3:  # a draft: some to do
                    member_notes.append(seeder.member_note(session_id, how, zone, row))
        MemberNote.objects.bulk_create(member_notes, batch_size=batch_size)
        AbsenceEntry.objects.bulk_create(absences, batch_size=batch_size)
        count = len(group_notes) + len(member_notes) + len(absences)
        written += count
        progress(count)
    return written
