"""Attendance at the demo's past sessions, taken through the real services.

For every past session of the demo groups, as it would have happened:

- a member who could not come told the group the day before (``absence_notice_give``,
  as the member, ``now=`` the day before): one per group that has met twice or more;
- the members who joined a virtual session (or a hybrid one from home) said where they
  were first (``attest_state``, as the member, ``now=`` just before they joined), so the
  attendance sheet's state and licensure columns are filled; one member was travelling
  once, to a state their facilitator also covers;
- after the session its facilitator took attendance (``attendance_record``, as the
  session's lead facilitator or substitute, ``now=`` a little after the end): mostly
  present, some late, a few left early, the absence with notice, and one no-show in the
  whole demo; joining and leaving times for those who were there by video (and for
  anyone late or leaving early), none for an ordinary in-person arrival.

The most recent past session of one group (by default the first: the printed
facilitator's group) is left without attendance, so "take attendance" has something to
do; its members still attested where they were when they joined.

Deterministic for a seed, apart from the real "now". Services stamp their audit events
(and an absence notice's ``created_at``) with the real time; the notice's ``created_at``
is set back to the moment it was given, as nothing else can.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from typing import TYPE_CHECKING

from django.utils import timezone

from kindred.groups.models import GroupModality
from kindred.scheduling.attendance import AttendanceEntry, attendance_record, seated_clients
from kindred.scheduling.gate import decide
from kindred.scheduling.member import absence_notice_give
from kindred.scheduling.models import AbsenceNotice, AttendanceStatus, GroupSession, SessionStatus

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client
    from kindred.groups.models import TherapyGroup

LATE_CHANCE = 0.08
LEFT_EARLY_CHANCE = 0.04
#: At a hybrid session, the share of members who come to the room.
IN_ROOM_CHANCE = 0.6
NOTICE_NOTES = (
    "Working a late shift this week, sorry to miss it.",
    "Looking after my mother after her operation.",
    "Out of town for a funeral.",
)
#: A state each facilitator covers besides the members' home states, for the member who
#: was travelling (tried in order; used only when the gate allows it).
TRAVEL_STATES = ("IL", "KS", "FL")


@dataclass
class DemoAttendance:
    sessions_taken: int = 0
    rows: int = 0
    attestations: int = 0
    notices: int = 0
    untaken_session_id: int | None = None


@dataclass(frozen=True)
class _Plan:
    """Who is away from which session (chosen before any session is recorded)."""

    notices: frozenset[tuple[int, int]]  # (session id, client id)
    no_show: tuple[int, int] | None


def _facilitator(session: GroupSession) -> User:
    clinician = session.substitute_facilitator or session.group.lead_facilitator
    return clinician.user


def _past_sessions(groups: Sequence[TherapyGroup], now: datetime) -> list[GroupSession]:
    return list(
        GroupSession.objects.filter(
            group__in=list(groups), status=SessionStatus.SCHEDULED, ends_at__lte=now
        )
        .select_related("group__lead_facilitator__user", "substitute_facilitator__user", "location")
        .order_by("group_id", "starts_at", "pk")
    )


def _plan_absences(
    rng: Random,
    by_group: dict[int, list[GroupSession]],
    seated: dict[int, list[Client]],
) -> _Plan:
    """One absence with notice per group that met at least twice (never at its first
    session), and one no-show at the busiest group, each by a different member who
    misses nothing else."""
    notices: set[tuple[int, int]] = set()
    away: set[int] = set()
    for sessions in by_group.values():
        if len(sessions) < 2:
            continue
        session = rng.choice(sessions[1:])
        choices = [c for c in seated[session.pk] if c.pk not in away and c.user_id is not None]
        if choices:
            client = rng.choice(choices)
            notices.add((session.pk, client.pk))
            away.add(client.pk)
    no_show = None
    busiest = max(by_group.values(), key=len, default=[])
    if len(busiest) >= 3:
        session = rng.choice(busiest[1:])
        choices = [c for c in seated[session.pk] if c.pk not in away]
        if choices:
            no_show = (session.pk, rng.choice(choices).pk)
    return _Plan(frozenset(notices), no_show)


def seed_demo_attendance(
    *,
    groups: Sequence[TherapyGroup],
    seed: int,
    now: datetime | None = None,
    untaken_group: TherapyGroup | None = None,
) -> DemoAttendance:
    """Attendance, absence notices and attested states for the past sessions of
    ``groups`` (see the module docstring). ``untaken_group`` (default: the first of
    ``groups``) keeps its most recent past session without attendance. Call inside the
    demo's transaction, after the places and the members' portal accounts exist."""
    now = now or timezone.now()
    result = DemoAttendance()
    rng = Random(f"{seed}:demo-attendance")  # noqa: S311 - synthetic data, not secrets
    sessions = _past_sessions(groups, now)
    if not sessions:
        return result
    by_group: dict[int, list[GroupSession]] = {}
    for session in sessions:
        by_group.setdefault(session.group_id, []).append(session)
    keep_open = untaken_group if untaken_group is not None else groups[0]
    untaken = by_group.get(keep_open.pk, [])[-1:] if keep_open is not None else []
    result.untaken_session_id = untaken[0].pk if untaken else None
    seated = {s.pk: seated_clients(s) for s in sessions}
    plan = _plan_absences(
        rng, {g: [s for s in ss if s not in untaken] for g, ss in by_group.items()}, seated
    )
    travelled = False
    for session in sessions:
        entries = []
        for client in seated[session.pk]:
            key = (session.pk, client.pk)
            if key in plan.notices:
                result.notices += _give_notice(rng, session, client)
                entries.append(AttendanceEntry(client.pk, AttendanceStatus.ABSENT_NOTICE))
                continue
            if key == plan.no_show:
                entries.append(AttendanceEntry(client.pk, AttendanceStatus.NO_SHOW))
                continue
            entry, by_video = _present(rng, session, client.pk)
            entries.append(entry)
            if by_video and client.user is not None:
                state = client.state_of_residence
                if not travelled and session is not by_group[session.group_id][0]:
                    elsewhere = _travel_state(session, state)
                    if elsewhere:
                        state, travelled = elsewhere, True
                result.attestations += _attest(client.user, session, state, entry)
        if session in untaken or not entries:
            continue
        taken_at = min(now, session.ends_at + timedelta(minutes=rng.randint(5, 40)))
        attendance_record(
            actor=_facilitator(session), session=session, entries=entries, now=taken_at
        )
        result.sessions_taken += 1
        result.rows += len(entries)
    return result


def _minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def _present(rng: Random, session: GroupSession, client_id: int) -> tuple[AttendanceEntry, bool]:
    """A member who came, and whether by video: on time (mostly), late or leaving
    early. Times for everyone by video (the video room knows them) and for anyone late
    or leaving early; none for an ordinary arrival in the room."""
    starts, ends = session.starts_at, session.ends_at
    by_video = session.modality == GroupModality.VIRTUAL or (
        session.modality == GroupModality.HYBRID and rng.random() >= IN_ROOM_CHANCE
    )
    roll = rng.random()
    if roll < LATE_CHANCE:
        joined = starts + _minutes(rng.randint(7, 20))
        return AttendanceEntry(client_id, AttendanceStatus.LATE, joined, ends), by_video
    if roll < LATE_CHANCE + LEFT_EARLY_CHANCE:
        joined = starts + _minutes(rng.randint(-3, 2))
        left = ends - _minutes(rng.randint(15, 35))
        return AttendanceEntry(client_id, AttendanceStatus.LEFT_EARLY, joined, left), by_video
    if not by_video:
        return AttendanceEntry(client_id, AttendanceStatus.PRESENT_IN_PERSON), False
    joined = starts + _minutes(rng.randint(-6, 3))
    left = ends - _minutes(rng.randint(0, 3))
    return AttendanceEntry(client_id, AttendanceStatus.PRESENT_VIRTUAL, joined, left), True


def _give_notice(rng: Random, session: GroupSession, client: Client) -> int:
    """The member tells the group the evening before (through the member's service)."""
    if client.user is None:
        return 0
    given = session.starts_at - timedelta(hours=rng.randint(16, 30))
    notice = absence_notice_give(
        actor=client.user, session=session, note=rng.choice(NOTICE_NOTES), now=given
    )
    AbsenceNotice.objects.filter(pk=notice.pk).update(created_at=given)
    return 1


def _travel_state(session: GroupSession, home: str) -> str:
    """Another state every facilitator of ``session`` covers that day, or ""."""
    for state in TRAVEL_STATES:
        if state != home and decide(session, state).allowed:
            return state
    return ""


def _attest(user: User, session: GroupSession, state: str, entry: AttendanceEntry) -> int:
    """The member says where they are just before joining (the gate's own service)."""
    from kindred.scheduling.gate import JOIN_OPENS_BEFORE, attest_state

    joined = entry.joined_at or session.starts_at
    when = max(session.starts_at - JOIN_OPENS_BEFORE, joined - timedelta(minutes=1))
    result = attest_state(actor=user, session=session, state=state, now=when)
    return 1 if result.attestation.pk else 0
