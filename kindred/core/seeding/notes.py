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

from collections.abc import Sequence
from datetime import datetime, timedelta
from random import Random
from typing import TYPE_CHECKING

from django.utils import timezone

from kindred.notes import services
from kindred.notes.access import supervisor_user_id
from kindred.notes.models import GroupNote, MemberNote, NoteStatus
from kindred.scheduling.models import (
    ATTENDED_STATUSES,
    Attendance,
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
