"""Turning a group's recurrence into GroupSession rows, and keeping them in step.

Sessions are keyed by ``original_starts_at`` (the rule's slot, the iCalendar
RECURRENCE-ID), so generating twice creates nothing new and a changed rule can be
compared slot by slot with what exists.

- A bounded rule (COUNT or UNTIL) is generated in full.
- An open-ended rule is generated up to a horizon (``HORIZON`` from now); the daily
  ``extend_sessions`` command moves the horizon on. ``sessions_generated_until`` records
  how far a group's rule has been generated.
- ``regenerate_future`` follows a change of rule, start, time, time zone or length. It
  only ever touches sessions that have not started and whose slot is still ahead: the
  past, and anything with attendance, an attestation or an absence notice, is never
  deleted. A future session the new rule no longer has is deleted when nothing hangs on
  it, otherwise cancelled.

Nothing here checks who is asking or writes audit events: the group and session
services call these functions inside their own transactions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from kindred.groups.models import LIVE_STATUSES, TherapyGroup
from kindred.scheduling import recurrence
from kindred.scheduling.models import (
    AbsenceNotice,
    Attendance,
    GroupSession,
    SessionStatus,
    StateAttestation,
)

#: How far ahead open-ended rules are generated.
HORIZON = timedelta(weeks=26)

#: Stored reasons for cancellations Kindred makes itself (not a person's words). They
#: are codes as much as text: ``regenerate_future`` restores sessions it (or a pause)
#: cancelled when the slot comes back; pages translate them for display.
# Stored untranslated (gettext_noop marks them for the catalogue); pages show them with
# {% translate session.cancel_reason %}, which leaves a person's own words as they are.
REASON_SCHEDULE_CHANGED = gettext_noop("The group's schedule changed")
REASON_GROUP_PAUSED = gettext_noop("Group paused")
REASON_GROUP_COMPLETED = gettext_noop("Group completed")
REASON_GROUP_CANCELLED = gettext_noop("Group cancelled")
SYSTEM_REASONS = (
    REASON_SCHEDULE_CHANGED,
    REASON_GROUP_PAUSED,
    REASON_GROUP_COMPLETED,
    REASON_GROUP_CANCELLED,
)
#: Cancellations that undo themselves when the slot is wanted again.
RESTORABLE_REASONS = (REASON_SCHEDULE_CHANGED, REASON_GROUP_PAUSED)

_BATCH = 2000


@dataclass
class GenerationResult:
    created: int = 0
    updated: int = 0
    restored: int = 0
    cancelled: int = 0
    deleted: int = 0
    # Sessions whose time or status members would notice (for notifications).
    changed_session_ids: list[int] | None = None

    @property
    def touched(self) -> bool:
        return bool(self.created or self.updated or self.restored or self.cancelled or self.deleted)


def _duration(group: TherapyGroup) -> timedelta:
    return timedelta(minutes=group.session_minutes)


def is_open_ended(group: TherapyGroup) -> bool:
    first = datetime.combine(group.start_date, group.start_time)
    return not recurrence.is_bounded(recurrence.parse_rule(group.recurrence, first))


def slots(
    group: TherapyGroup,
    *,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
) -> list[recurrence.Occurrence]:
    """The rule's sessions, optionally inside [window_start, window_end). An open-ended
    rule without a window end is cut at ``HORIZON`` from now."""
    if window_end is None and is_open_ended(group):
        window_end = timezone.now() + HORIZON
    return recurrence.expand(
        group.recurrence,
        start_date=group.start_date,
        start_time=group.start_time,
        duration=_duration(group),
        tz_name=group.timezone,
        window_start=window_start,
        window_end=window_end,
    )


def _new_session(group: TherapyGroup, occ: recurrence.Occurrence) -> GroupSession:
    return GroupSession(
        group=group,
        original_starts_at=occ.starts_at,
        starts_at=occ.starts_at,
        ends_at=occ.ends_at,
        status=SessionStatus.SCHEDULED,
        modality=group.modality,
        location_id=group.location_id,
        room_id=group.room_id,
    )


def generate_for_groups(
    groups: Iterable[TherapyGroup],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
) -> int:
    """Create the missing sessions of many groups at once; returns how many were made.

    ``since`` (default: each group's first slot) and ``until`` (default: the whole of a
    bounded rule; ``HORIZON`` from ``now`` for an open-ended one) bound the window.
    Existing slots are left exactly as they are. One query reads the existing slots; on
    PostgreSQL the new rows stream into a COPY while the next groups are expanded (the
    database works while Python computes), elsewhere they go in with bulk_create; and
    ``sessions_generated_until`` is updated with one query per distinct value. A year
    for 2,000 groups takes a few seconds.
    """
    now = now or timezone.now()
    groups = [g for g in groups if g.status in LIVE_STATUSES]
    if not groups:
        return 0
    existing_filter = Q(group_id__in=[g.pk for g in groups])
    if since is not None:
        existing_filter &= Q(original_starts_at__gte=since)
    if until is not None:
        existing_filter &= Q(original_starts_at__lt=until)
    existing: dict[int, set[datetime]] = defaultdict(set)
    for group_id, original in GroupSession.objects.filter(existing_filter).values_list(
        "group_id", "original_starts_at"
    ):
        existing[group_id].add(original)
    reached: dict[int, datetime] = {}
    with transaction.atomic():
        with _writer(now) as writer:
            for group in groups:
                end = until
                if end is None and is_open_ended(group):
                    end = now + HORIZON
                occurrences = recurrence.expand(
                    group.recurrence,
                    start_date=group.start_date,
                    start_time=group.start_time,
                    duration=_duration(group),
                    tz_name=group.timezone,
                    window_start=since,
                    window_end=end,
                )
                taken = existing[group.pk]
                writer.add(group, [o for o in occurrences if o.starts_at not in taken])
                if end is not None:
                    reached[group.pk] = end
                elif occurrences:
                    reached[group.pk] = occurrences[-1].ends_at
        _record_reached(groups, reached)
    return writer.count


class _BulkWriter:
    """New sessions through bulk_create (any database)."""

    def __init__(self, now: datetime):
        self.now = now
        self.count = 0
        self._pending: list[GroupSession] = []

    def add(self, group: TherapyGroup, occurrences: list[recurrence.Occurrence]) -> None:
        self._pending.extend(_new_session(group, occ) for occ in occurrences)
        self.count += len(occurrences)
        if len(self._pending) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            GroupSession.objects.bulk_create(self._pending)
            self._pending = []

    def __enter__(self) -> _BulkWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.flush()


#: The columns the COPY fills, in order (the others keep their defaults: NULL).
_COPY_COLUMNS = (
    "group_id",
    "original_starts_at",
    "starts_at",
    "ends_at",
    "status",
    "cancel_reason",
    "modality",
    "location_id",
    "room_id",
    "sequence",
    "created_at",
    "updated_at",
)


class _CopyWriter(_BulkWriter):
    """New sessions streamed into PostgreSQL's COPY in its text format. Every value is
    a number, an ISO timestamp or a fixed code (no tabs, newlines or backslashes), so
    the lines need no escaping. Constraints apply as for INSERT, and database errors (a
    slot taken, a room booked) surface as Django's."""

    def __enter__(self) -> _CopyWriter:
        table = GroupSession._meta.db_table
        sql = f"COPY {table} ({', '.join(_COPY_COLUMNS)}) FROM STDIN"
        self._stack = ExitStack()
        self._stack.enter_context(connection.wrap_database_errors)
        cursor = self._stack.enter_context(connection.cursor())
        self._copy = self._stack.enter_context(cursor.cursor.copy(sql))
        self._stamp = self.now.isoformat()
        self._lines: list[str] = []
        return self

    def add(self, group: TherapyGroup, occurrences: list[recurrence.Occurrence]) -> None:
        if not occurrences:
            return
        head = f"{group.pk}\t"
        tail = (
            f"\t{SessionStatus.SCHEDULED.value}\t\t{group.modality}\t"
            f"{_copy_value(group.location_id)}\t{_copy_value(group.room_id)}\t0\t"
            f"{self._stamp}\t{self._stamp}\n"
        )
        for occ in occurrences:
            start = occ.starts_at.isoformat()
            self._lines.append(f"{head}{start}\t{start}\t{occ.ends_at.isoformat()}{tail}")
        self.count += len(occurrences)
        if len(self._lines) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self._lines:
            self._copy.write("".join(self._lines))
            self._lines = []

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self.flush()
        finally:
            self._stack.__exit__(*exc)  # type: ignore[arg-type]


def _copy_value(value: int | None) -> str:
    return "\\N" if value is None else str(value)


def _writer(now: datetime) -> _BulkWriter:
    return _CopyWriter(now) if connection.vendor == "postgresql" else _BulkWriter(now)


def _record_reached(groups: Sequence[TherapyGroup], reached: dict[int, datetime]) -> None:
    """Move ``sessions_generated_until`` forward (never back), grouped by value."""
    by_value: dict[datetime, list[int]] = defaultdict(list)
    for group in groups:
        value = reached.get(group.pk)
        if value is None:
            continue
        current = group.sessions_generated_until
        if current is not None and current >= value:
            continue
        group.sessions_generated_until = value
        by_value[value].append(group.pk)
    for value, ids in by_value.items():
        TherapyGroup.objects.filter(pk__in=ids).update(sessions_generated_until=value)


def generate_sessions(group: TherapyGroup, *, since: datetime | None = None) -> int:
    """Create the missing sessions of one group (all of a bounded rule; up to the
    horizon for an open-ended one). Returns how many were made."""
    return generate_for_groups([group], since=since)


def has_records_q() -> Q:
    """Sessions something hangs on: attendance, an attestation or an absence notice."""
    return Q(
        Exists(Attendance.objects.filter(session=OuterRef("pk")))
        | Exists(StateAttestation.objects.filter(session=OuterRef("pk")))
        | Exists(AbsenceNotice.objects.filter(session=OuterRef("pk")))
    )


def future_sessions(group: TherapyGroup, now: datetime) -> Q:
    """Sessions that have not started and whose slot is still ahead. A past slot moved
    into the future stays with the past: the rule no longer speaks for it."""
    return Q(group=group, starts_at__gt=now, original_starts_at__gt=now)


def _wanted_slots(
    group: TherapyGroup, now: datetime
) -> tuple[dict[datetime, recurrence.Occurrence], datetime | None]:
    """The rule's slots still ahead, and the window end (None: the whole bounded rule)."""
    end = None
    if is_open_ended(group):
        end = max(now + HORIZON, group.sessions_generated_until or now)
    occurrences = recurrence.expand(
        group.recurrence,
        start_date=group.start_date,
        start_time=group.start_time,
        duration=_duration(group),
        tz_name=group.timezone,
        window_start=now,
        window_end=end,
    )
    return {occ.starts_at: occ for occ in occurrences if occ.starts_at > now}, end


def _reconcile(
    session: GroupSession, occ: recurrence.Occurrence | None, length: timedelta
) -> str | None:
    """Decide what happens to one future session; change it in memory. Returns
    "delete", "cancelled", "restored", "updated" or None (left as it is)."""
    if occ is None:
        if not session.has_records:  # type: ignore[attr-defined]
            return "delete"
        if session.status == SessionStatus.CANCELLED:
            return None
        session.status = SessionStatus.CANCELLED
        session.cancel_reason = REASON_SCHEDULE_CHANGED
        session.sequence += 1
        return "cancelled"
    outcome = None
    if session.status == SessionStatus.CANCELLED:
        if session.cancel_reason not in RESTORABLE_REASONS:
            return None  # someone cancelled this one on purpose; it stays cancelled
        session.status = SessionStatus.SCHEDULED
        session.cancel_reason = ""
        outcome = "restored"
    if not session.is_rescheduled and session.ends_at != session.starts_at + length:
        session.ends_at = session.starts_at + length
        outcome = outcome or "updated"
    if outcome is not None:
        session.sequence += 1
    return outcome


def regenerate_future(group: TherapyGroup, *, now: datetime | None = None) -> GenerationResult:
    """Bring the future sessions in line with the group's (changed) rule. Call inside a
    transaction, after saving the group. Only for groups that still meet."""
    now = now or timezone.now()
    result = GenerationResult(changed_session_ids=[])
    if group.status not in LIVE_STATUSES:
        return result
    wanted, end = _wanted_slots(group, now)
    # Every slot still ahead that is already taken, even by a session that was moved
    # into the past (the unique constraint is on the slot).
    taken = set(
        GroupSession.objects.filter(group=group, original_starts_at__gt=now).values_list(
            "original_starts_at", flat=True
        )
    )
    future = GroupSession.objects.filter(future_sessions(group, now)).annotate(
        has_records=has_records_q()
    )
    length = _duration(group)
    to_delete: list[int] = []
    to_update: list[Any] = []
    changed_ids: list[int] = []
    for session in future.order_by("starts_at"):
        outcome = _reconcile(session, wanted.get(session.original_starts_at), length)
        if outcome == "delete":
            to_delete.append(session.pk)
            result.deleted += 1
        elif outcome is not None:
            setattr(result, outcome, getattr(result, outcome) + 1)
            to_update.append(session)
            changed_ids.append(session.pk)
    result.changed_session_ids = changed_ids
    if to_delete:
        GroupSession.objects.filter(pk__in=to_delete).delete()
    # Cancellations first, so a lengthened session never overlaps one being dropped.
    to_update.sort(key=lambda s: s.status != SessionStatus.CANCELLED)
    for row in to_update:
        row.save(update_fields=["status", "cancel_reason", "ends_at", "sequence", "updated_at"])
    new = [_new_session(group, occ) for start, occ in wanted.items() if start not in taken]
    GroupSession.objects.bulk_create(new, batch_size=_BATCH)
    result.created = len(new)
    if end is not None:
        _record_reached([group], {group.pk: end})
    elif wanted:
        _record_reached([group], {group.pk: max(o.ends_at for o in wanted.values())})
    return result


def cancel_future(group: TherapyGroup, *, reason: str, now: datetime | None = None) -> list[int]:
    """Cancel every scheduled session that has not started (pause, complete, cancel).
    Returns the ids cancelled. Call inside a transaction."""
    now = now or timezone.now()
    ids = list(
        GroupSession.objects.filter(
            group=group, starts_at__gt=now, status=SessionStatus.SCHEDULED
        ).values_list("pk", flat=True)
    )
    if ids:
        from django.db.models import F

        GroupSession.objects.filter(pk__in=ids).update(
            status=SessionStatus.CANCELLED,
            cancel_reason=reason,
            sequence=F("sequence") + 1,
            updated_at=now,
        )
    return ids


def extend_sessions(*, now: datetime | None = None, horizon: timedelta = HORIZON) -> int:
    """Move every live open-ended group's sessions on to ``horizon`` from now (the daily
    command). Idempotent: a second run the same day creates nothing. Returns the number
    of sessions created."""
    now = now or timezone.now()
    target = now + horizon
    candidates = [
        g
        for g in TherapyGroup.objects.filter(status__in=LIVE_STATUSES).filter(
            Q(sessions_generated_until__isnull=True) | Q(sessions_generated_until__lt=target)
        )
        if is_open_ended(g)
    ]
    created = 0
    # Groups generated up to the same instant share one window (one query each batch).
    by_since: dict[datetime | None, list[TherapyGroup]] = defaultdict(list)
    for group in candidates:
        by_since[group.sessions_generated_until].append(group)
    for since, batch in by_since.items():
        created += generate_for_groups(batch, since=since, until=target, now=now)
    return created
