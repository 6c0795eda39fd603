"""Which questionnaires a group sends when, and turning that into administrations.

Schedules (measures/schedules.py) say which instrument a group sends when; this module
turns them into administrations (one questionnaire sent to one member).

Windows
    Each administration is open from ``available_from`` until ``closes_at``:

    ============== ===================== ====================== =====================
    reason         opens                 due                    closes
    ============== ===================== ====================== =====================
    intake         when the place is     the first session      14 days after the
                   offered               (if within 14 days)    offer
    before / Nth   48 h before the       the session's start    the session's end
                   session
    after          the session's end     24 h after the end     72 h after the end
    graduation     when the member       7 days later           14 days later
                   graduates
    sent by a      now                   —                      7 days later
    clinician
    ============== ===================== ====================== =====================

Planning (``plan_run``, run by ``manage.py plan_measures`` every few minutes)
    Idempotent: an administration is unique per member, instrument, session and reason
    (a database constraint for session questionnaires; intake and graduation ones are
    keyed by the moment the place was offered or ended, checked under a row lock on the
    enrollment). Planning twice creates nothing. It also keeps open administrations in
    step with their sessions (a cancelled session's unanswered questionnaires are
    cancelled, and come back if it is restored; a moved session moves their windows),
    cancels those of members who left, closes the ones whose window has passed
    (``expire``: partly answered ones are scored as incomplete — never banded — and any
    safety flag among the answers still raises its alert), and sends the "you have a
    check-in waiting" reminders (measures/reminders.py; measures/tasks.py sends them).

Who is asked
    Members who hold a place (invited or active) and have an active portal account; for
    a past session, those who held a place when it started. "Every Nth session" counts
    the group's sessions from the one after the member was offered their place, so a
    member joining an open group mid-way is asked at their own 4th, 8th, … session. The
    after-session pulse is not asked of members recorded as absent.
"""

from __future__ import annotations

import bisect
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from kindred.clients.models import ClientStatus
from kindred.groups.models import (
    LIVE_STATUSES,
    SEAT_STATUSES,
    Enrollment,
    EnrollmentStatus,
    TherapyGroup,
)
from kindred.measures.models import (
    Administration,
    AdministrationStatus,
    Instrument,
    MeasurementSchedule,
    Response,
    Timing,
)
from kindred.scheduling.models import (
    ATTENDED_STATUSES,
    Attendance,
    GroupSession,
    SessionStatus,
)

logger = logging.getLogger(__name__)

# --- Windows --------------------------------------------------------------------------

BEFORE_OPENS = timedelta(hours=48)
AFTER_DUE = timedelta(hours=24)
AFTER_CLOSES = timedelta(hours=72)
INTAKE_WINDOW = timedelta(days=14)
GRADUATION_DUE = timedelta(days=7)
GRADUATION_WINDOW = timedelta(days=14)
ADHOC_WINDOW = timedelta(days=7)
#: Session questionnaires are planned for sessions starting this far ahead (their
#: window opens 48 h before the session, so a row exists well before it opens).
PLAN_AHEAD = timedelta(days=7)

SESSION_REASONS = (Timing.BEFORE_SESSION, Timing.EVERY_NTH_SESSION, Timing.AFTER_SESSION)
BEFORE_REASONS = (Timing.BEFORE_SESSION, Timing.EVERY_NTH_SESSION)
OPEN_STATUSES = (AdministrationStatus.PENDING, AdministrationStatus.IN_PROGRESS)
_BATCH = 2000


@dataclass(frozen=True)
class Window:
    available_from: datetime
    due_at: datetime | None
    closes_at: datetime


def session_window(reason: str, starts_at: datetime, ends_at: datetime) -> Window:
    """The window of a questionnaire tied to a session (see the table above)."""
    if reason == Timing.AFTER_SESSION:
        return Window(ends_at, ends_at + AFTER_DUE, ends_at + AFTER_CLOSES)
    return Window(starts_at - BEFORE_OPENS, starts_at, ends_at)


def intake_window(offered_at: datetime, first_session: datetime | None) -> Window:
    closes = offered_at + INTAKE_WINDOW
    due = first_session if first_session is not None and first_session < closes else None
    return Window(offered_at, due, closes)


def graduation_window(ended_at: datetime) -> Window:
    return Window(ended_at, ended_at + GRADUATION_DUE, ended_at + GRADUATION_WINDOW)


def adhoc_window(now: datetime) -> Window:
    return Window(now, None, now + ADHOC_WINDOW)


# --- Planning: session questionnaires -----------------------------------------------------


@dataclass(frozen=True)
class _Sched:
    id: int
    instrument_id: int
    version: str
    timing: str
    every_n: int | None


def _active_schedules(
    timings: Sequence[str], group_ids: Iterable[int] | None = None
) -> dict[int, list[_Sched]]:
    rows = MeasurementSchedule.objects.filter(
        is_active=True,
        timing__in=timings,
        instrument__is_active=True,
        group__status__in=LIVE_STATUSES,
    )
    if group_ids is not None:
        rows = rows.filter(group_id__in=list(group_ids))
    by_group: dict[int, list[_Sched]] = defaultdict(list)
    for pk, group_id, instrument_id, version, timing, every_n in rows.order_by("pk").values_list(
        "pk", "group_id", "instrument_id", "instrument__version", "timing", "every_n"
    ):
        by_group[group_id].append(_Sched(pk, instrument_id, version, timing, every_n))
    return by_group


def _seated_members(
    group_ids: Iterable[int],
) -> dict[int, list[tuple[int, datetime, datetime | None]]]:
    """Per group: (client id, offered at, ended at) of places that may need questionnaires:
    members with an active portal account (one query)."""
    by_group: dict[int, list[tuple[int, datetime, datetime | None]]] = defaultdict(list)
    for group_id, client_id, offered, ended in (
        Enrollment.objects.filter(
            group_id__in=list(group_ids),
            client__status=ClientStatus.ACTIVE,
            client__user__isnull=False,
            client__user__is_active=True,
        )
        .order_by("pk")
        .values_list("group_id", "client_id", "invited_at", "ended_at")
    ):
        by_group[group_id].append((client_id, offered, ended))
    return by_group


def _held_place(offered: datetime, ended: datetime | None, at: datetime) -> bool:
    return offered <= at and (ended is None or ended > at)


def _absent(session_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(session, client) pairs recorded as not attending."""
    if not session_ids:
        return set()
    return set(
        Attendance.objects.filter(session_id__in=list(session_ids))
        .exclude(status__in=ATTENDED_STATUSES)
        .values_list("session_id", "client_id")
    )


def _session_starts(
    group_ids: Iterable[int], *, since: datetime, until: datetime
) -> dict[int, list[datetime]]:
    """Sorted start times of each group's held (not cancelled) sessions (one query)."""
    starts: dict[int, list[datetime]] = defaultdict(list)
    for group_id, starts_at in (
        GroupSession.objects.filter(
            group_id__in=list(group_ids),
            status=SessionStatus.SCHEDULED,
            starts_at__gte=since,
            starts_at__lte=until,
        )
        .order_by("group_id", "starts_at")
        .values_list("group_id", "starts_at")
    ):
        starts[group_id].append(starts_at)
    return starts


def session_number_for_member(starts: Sequence[datetime], offered: datetime, at: datetime) -> int:
    """Which of the member's sessions the one starting ``at`` is: 1 for the first session
    after they were offered their place. ``starts`` is sorted."""
    return bisect.bisect_right(starts, at) - bisect.bisect_left(starts, offered)


_Key = tuple[int, int, int, str]  # client, instrument, session, reason


def _wanted_session_rows(
    sessions: list[tuple[int, int, datetime, datetime]],
    schedules: dict[int, list[_Sched]],
    *,
    now: datetime,
) -> dict[_Key, tuple[_Sched, int, Window]]:
    """Which (member, instrument, session, reason) should exist, with their windows."""
    members = _seated_members({s[1] for s in sessions})
    nth_groups = {g for g, rows in schedules.items() if any(r.every_n for r in rows)}
    starts: dict[int, list[datetime]] = {}
    if nth_groups:
        earliest = min(
            (offered for g in nth_groups for _c, offered, _e in members.get(g, ())), default=now
        )
        starts = _session_starts(nth_groups, since=earliest, until=now + PLAN_AHEAD)
    absent = _absent([s[0] for s in sessions if s[3] <= now])
    wanted: dict[_Key, tuple[_Sched, int, Window]] = {}
    for session_id, group_id, starts_at, ends_at in sessions:
        for sched in schedules[group_id]:
            window = session_window(sched.timing, starts_at, ends_at)
            if window.closes_at <= now:
                continue
            for client_id, offered, ended in members.get(group_id, ()):
                if not _held_place(offered, ended, starts_at):
                    continue
                if sched.timing == Timing.AFTER_SESSION and (session_id, client_id) in absent:
                    continue
                if sched.timing == Timing.EVERY_NTH_SESSION and not _is_nth(
                    sched, starts.get(group_id, []), offered, starts_at
                ):
                    continue
                key = (client_id, sched.instrument_id, session_id, sched.timing)
                wanted.setdefault(key, (sched, group_id, window))
    return wanted


def _is_nth(sched: _Sched, starts: Sequence[datetime], offered: datetime, at: datetime) -> bool:
    number = session_number_for_member(starts, offered, at)
    return number > 0 and number % (sched.every_n or 1) == 0


def plan_sessions(*, now: datetime | None = None, group_ids: Iterable[int] | None = None) -> int:
    """Create the missing before/every-Nth/after questionnaires of sessions whose window
    is open or opens within ``PLAN_AHEAD``. Returns how many were created."""
    now = now or timezone.now()
    schedules = _active_schedules(SESSION_REASONS, group_ids)
    if not schedules:
        return 0
    sessions = list(
        GroupSession.objects.filter(
            group_id__in=list(schedules),
            status=SessionStatus.SCHEDULED,
            starts_at__lte=now + PLAN_AHEAD,
            ends_at__gt=now - AFTER_CLOSES,
        )
        .order_by("starts_at", "pk")
        .values_list("pk", "group_id", "starts_at", "ends_at")
    )
    if not sessions:
        return 0
    wanted = _wanted_session_rows(sessions, schedules, now=now)
    if not wanted:
        return 0
    existing: set[_Key] = set()
    session_ids = sorted({key[2] for key in wanted})
    for start in range(0, len(session_ids), _BATCH):
        existing.update(
            Administration.objects.filter(
                session_id__in=session_ids[start : start + _BATCH]
            ).values_list("client_id", "instrument_id", "session_id", "reason")
        )
    new = [
        Administration(
            client_id=key[0],
            instrument_id=key[1],
            instrument_version=sched.version,
            group_id=group_id,
            session_id=key[2],
            schedule_id=sched.id,
            reason=key[3],
            available_from=window.available_from,
            due_at=window.due_at,
            closes_at=window.closes_at,
        )
        for key, (sched, group_id, window) in wanted.items()
        if key not in existing
    ]
    with transaction.atomic():
        for start in range(0, len(new), _BATCH):
            Administration.objects.bulk_create(new[start : start + _BATCH], ignore_conflicts=True)
    return len(new)


# --- Planning: intake and graduation ------------------------------------------------------


def _plan_anchored(
    *,
    now: datetime,
    reason: Timing,
    enrollments: Any,
    anchor_field: str,
) -> int:
    """Intake (anchored on the offer) or graduation (on the ending) questionnaires for
    ``enrollments``: locks each candidate place, then creates what is missing."""
    schedules = _active_schedules((reason,))
    if not schedules:
        return 0
    window_length = INTAKE_WINDOW if reason == Timing.INTAKE else GRADUATION_WINDOW
    filters = {f"{anchor_field}__gt": now - window_length, f"{anchor_field}__isnull": False}
    candidate_ids = list(
        enrollments.filter(
            group_id__in=list(schedules),
            client__status=ClientStatus.ACTIVE,
            client__user__isnull=False,
            client__user__is_active=True,
            **filters,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    created = 0
    for start in range(0, len(candidate_ids), _BATCH):
        created += _plan_anchored_batch(
            candidate_ids[start : start + _BATCH],
            now=now,
            reason=reason,
            schedules=schedules,
            anchor_field=anchor_field,
        )
    return created


def _first_sessions(group_ids: set[int], after: datetime) -> dict[int, list[datetime]]:
    return _session_starts(group_ids, since=after, until=after + INTAKE_WINDOW)


def _plan_anchored_batch(
    ids: list[int],
    *,
    now: datetime,
    reason: Timing,
    schedules: dict[int, list[_Sched]],
    anchor_field: str,
) -> int:
    with transaction.atomic():
        places = list(
            Enrollment.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", "group_id", "client_id", anchor_field)
        )
        if not places:
            return 0
        existing = set(
            Administration.objects.filter(
                reason=reason,
                client_id__in={p[2] for p in places},
                group_id__in={p[1] for p in places},
                session__isnull=True,
            ).values_list("client_id", "instrument_id", "group_id", "available_from")
        )
        firsts: dict[int, list[datetime]] = {}
        if reason == Timing.INTAKE:
            earliest = min(p[3] for p in places)
            firsts = _first_sessions({p[1] for p in places}, earliest)
        new: list[Administration] = []
        for _pk, group_id, client_id, anchor in places:
            if reason == Timing.INTAKE:
                later = [s for s in firsts.get(group_id, []) if s > anchor]
                window = intake_window(anchor, later[0] if later else None)
            else:
                window = graduation_window(anchor)
            if window.closes_at <= now:
                continue
            for sched in schedules.get(group_id, []):
                key = (client_id, sched.instrument_id, group_id, window.available_from)
                if key in existing:
                    continue
                existing.add(key)
                new.append(
                    Administration(
                        client_id=client_id,
                        instrument_id=sched.instrument_id,
                        instrument_version=sched.version,
                        group_id=group_id,
                        schedule_id=sched.id,
                        reason=reason,
                        available_from=window.available_from,
                        due_at=window.due_at,
                        closes_at=window.closes_at,
                    )
                )
        Administration.objects.bulk_create(new)
    return len(new)


def plan_intake(*, now: datetime | None = None, enrollment_ids: Iterable[int] | None = None) -> int:
    """Intake questionnaires for places offered within the intake window."""
    places = Enrollment.objects.filter(status__in=SEAT_STATUSES)
    if enrollment_ids is not None:
        places = places.filter(pk__in=list(enrollment_ids))
    return _plan_anchored(
        now=now or timezone.now(),
        reason=Timing.INTAKE,
        enrollments=places,
        anchor_field="invited_at",
    )


def plan_graduation(
    *, now: datetime | None = None, enrollment_ids: Iterable[int] | None = None
) -> int:
    """Graduation questionnaires for members who graduated within the window."""
    places = Enrollment.objects.filter(status=EnrollmentStatus.GRADUATED)
    if enrollment_ids is not None:
        places = places.filter(pk__in=list(enrollment_ids))
    return _plan_anchored(
        now=now or timezone.now(),
        reason=Timing.GRADUATION,
        enrollments=places,
        anchor_field="ended_at",
    )


# --- Hooks (called after commit by groups/services.py) ----------------------------------------


def _quietly(label: str, func: Any, **kwargs: Any) -> None:
    """Run a planning step after a place changed; a failure is logged, never raised into
    the request (the next ``plan_measures`` run catches up)."""
    try:
        func(**kwargs)
    except Exception:  # planning must never break the change that triggered it
        logger.exception("questionnaire planning after %s failed", label)


def plan_group_created(group_id: int) -> None:
    """A group was set up: give it the default schedules."""
    from kindred.measures.schedules import schedules_apply_defaults

    _quietly(
        "a new group",
        schedules_apply_defaults,
        groups=list(TherapyGroup.objects.filter(pk=group_id)),
    )


def plan_enrollment_changed(enrollment_id: int) -> None:
    """A place was offered or ended: plan its intake or graduation questionnaires at once,
    so the member sees them without waiting for the next planning run."""
    _quietly("a place changed", plan_intake, enrollment_ids=[enrollment_id])
    _quietly("a place changed", plan_graduation, enrollment_ids=[enrollment_id])
    group_ids = list(Enrollment.objects.filter(pk=enrollment_id).values_list("group_id", flat=True))
    _quietly("a place changed", plan_sessions, group_ids=group_ids)


def on_commit_plan_enrollment(enrollment_id: int) -> None:
    transaction.on_commit(partial(plan_enrollment_changed, enrollment_id))


def on_commit_plan_group(group_id: int) -> None:
    transaction.on_commit(partial(plan_group_created, group_id))


# --- Keeping open questionnaires in step -------------------------------------------------------


@dataclass
class ReconcileResult:
    cancelled: int = 0
    restored: int = 0
    moved: int = 0
    repinned: int = 0


def _no_answers() -> Q:
    return ~Q(Exists(Response.objects.filter(administration=OuterRef("pk"))))


def reconcile(*, now: datetime | None = None) -> ReconcileResult:
    """Keep open questionnaires in step with their sessions and places (see the module
    docstring). Only unanswered ones are ever cancelled."""
    now = now or timezone.now()
    result = ReconcileResult()
    unanswered = Administration.objects.filter(status=AdministrationStatus.PENDING).filter(
        _no_answers()
    )
    with transaction.atomic():
        # A cancelled session asks nothing; a restored one asks again.
        result.cancelled += unanswered.filter(session__status=SessionStatus.CANCELLED).update(
            status=AdministrationStatus.CANCELLED
        )
        result.restored += (
            Administration.objects.filter(
                status=AdministrationStatus.CANCELLED,
                session__status=SessionStatus.SCHEDULED,
                closes_at__gt=now,
            )
            .filter(_no_answers())
            .exclude(reason=Timing.AFTER_SESSION, session__starts_at__lte=now)
            .filter(
                Exists(
                    Enrollment.objects.filter(
                        group_id=OuterRef("group_id"),
                        client_id=OuterRef("client_id"),
                        status__in=SEAT_STATUSES,
                    )
                )
            )
            .update(status=AdministrationStatus.PENDING)
        )
        # Members who no longer hold a place are not asked before coming sessions, nor at
        # an intake they did not take up.
        no_seat = ~Exists(
            Enrollment.objects.filter(
                group_id=OuterRef("group_id"),
                client_id=OuterRef("client_id"),
                status__in=SEAT_STATUSES,
            )
        )
        result.cancelled += (
            unanswered.filter(reason__in=SESSION_REASONS, session__starts_at__gt=now)
            .filter(no_seat)
            .update(status=AdministrationStatus.CANCELLED)
        )
        result.cancelled += (
            unanswered.filter(reason=Timing.INTAKE)
            .filter(no_seat)
            .update(status=AdministrationStatus.CANCELLED)
        )
        # The pulse is for those who were there.
        result.cancelled += (
            unanswered.filter(reason=Timing.AFTER_SESSION)
            .filter(
                Exists(
                    Attendance.objects.filter(
                        session_id=OuterRef("session_id"), client_id=OuterRef("client_id")
                    ).exclude(status__in=ATTENDED_STATUSES)
                )
            )
            .update(status=AdministrationStatus.CANCELLED)
        )
        # A moved session moves the windows of its open questionnaires.
        result.moved = _follow_moved_sessions(now)
        # An instrument updated before anyone answered: ask the current version.
        current = Instrument.objects.filter(pk=OuterRef("instrument_id")).values("version")[:1]
        result.repinned = (
            unanswered.exclude(instrument_version=Subquery(current))
            .filter(instrument__is_active=True)
            .update(instrument_version=Subquery(current))
        )
    return result


def _follow_moved_sessions(now: datetime) -> int:
    """Open session questionnaires whose window no longer matches their session's
    times (it was moved): move the window. Compared in SQL, so nothing else is read."""
    before = Administration.objects.filter(
        status__in=OPEN_STATUSES, reason__in=BEFORE_REASONS
    ).exclude(
        available_from=F("session__starts_at") - BEFORE_OPENS,
        due_at=F("session__starts_at"),
        closes_at=F("session__ends_at"),
    )
    after = Administration.objects.filter(
        status__in=OPEN_STATUSES, reason=Timing.AFTER_SESSION
    ).exclude(
        available_from=F("session__ends_at"),
        due_at=F("session__ends_at") + AFTER_DUE,
        closes_at=F("session__ends_at") + AFTER_CLOSES,
    )
    rows: list[Administration] = []
    for queryset in (before, after):
        for pk, reason, starts_at, ends_at in queryset.values_list(
            "pk", "reason", "session__starts_at", "session__ends_at"
        ):
            window = session_window(reason, starts_at, ends_at)
            rows.append(
                Administration(
                    pk=pk,
                    available_from=window.available_from,
                    due_at=window.due_at,
                    closes_at=window.closes_at,
                    updated_at=now,
                )
            )
    Administration.objects.bulk_update(
        rows, ["available_from", "due_at", "closes_at", "updated_at"], batch_size=_BATCH
    )
    return len(rows)


# --- One run -------------------------------------------------------------------------------


@dataclass
class RunResult:
    defaults: int
    reconciled: ReconcileResult
    intake: int
    sessions: int
    graduation: int
    expired: int
    reminders: int


def plan_run(*, now: datetime | None = None) -> RunResult:
    """Everything ``manage.py plan_measures`` does, in order."""
    from kindred.measures.answering import expire_closed
    from kindred.measures.reminders import reminders_enqueue
    from kindred.measures.schedules import schedules_apply_defaults

    now = now or timezone.now()
    defaults = schedules_apply_defaults()
    reconciled = reconcile(now=now)
    intake = plan_intake(now=now)
    sessions = plan_sessions(now=now)
    graduation = plan_graduation(now=now)
    expired = expire_closed(now=now)
    reminders = reminders_enqueue(now=now)
    return RunResult(
        defaults=defaults,
        reconciled=reconciled,
        intake=intake,
        sessions=sessions,
        graduation=graduation,
        expired=expired,
        reminders=reminders,
    )
