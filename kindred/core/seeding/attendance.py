"""Synthetic attendance for the scale data set: one row per member holding a place at
each past session of the given groups (PERFORMANCE.md), recorded as a facilitator
would — mostly present, some late, a few left early, absences with and without notice.

Deterministic (seeded), streamed in batches so memory stays flat, and the sessions
are marked as having had attendance taken.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from random import Random

from django.db.models import F

from kindred.groups.models import Enrollment
from kindred.scheduling.models import Attendance, AttendanceStatus, GroupSession, SessionStatus

# How a virtual group's members turn up, in per mille.
STATUS_WEIGHTS: tuple[tuple[AttendanceStatus, int], ...] = (
    (AttendanceStatus.PRESENT_VIRTUAL, 740),
    (AttendanceStatus.LATE, 60),
    (AttendanceStatus.LEFT_EARLY, 30),
    (AttendanceStatus.ABSENT_NOTICE, 90),
    (AttendanceStatus.NO_SHOW, 80),
)
_STATUSES = [s for s, _ in STATUS_WEIGHTS]
_CUMULATIVE = [sum(w for _, w in STATUS_WEIGHTS[: i + 1]) for i in range(len(STATUS_WEIGHTS))]


def _status(rng: Random) -> AttendanceStatus:
    roll = rng.randrange(_CUMULATIVE[-1])
    return next(s for s, bound in zip(_STATUSES, _CUMULATIVE, strict=True) if roll < bound)


def _times(
    rng: Random, status: str, starts: datetime, ends: datetime
) -> tuple[datetime | None, datetime | None]:
    if status == AttendanceStatus.PRESENT_VIRTUAL:
        return starts + timedelta(seconds=rng.randint(-120, 180)), ends - timedelta(
            seconds=rng.randint(0, 120)
        )
    if status == AttendanceStatus.LATE:
        return starts + timedelta(minutes=rng.randint(5, 20)), ends
    if status == AttendanceStatus.LEFT_EARLY:
        return starts, ends - timedelta(minutes=rng.randint(15, 40))
    return None, None


def seed_attendance(
    group_ids: Iterable[int],
    *,
    now: datetime,
    seed: int,
    batch_size: int = 2000,
    progress: Callable[[int], object] = lambda n: None,
) -> int:
    """Attendance for every past, held session of ``group_ids``: a row for each member
    whose place had begun and not yet ended when the session started. Returns the rows
    written."""
    rng = Random(f"{seed}:attendance")  # noqa: S311 - synthetic data, not secrets
    ids = list(group_ids)
    roster: dict[int, list[tuple[int, datetime, datetime | None]]] = defaultdict(list)
    for group_id, client_id, joined, ended in (
        Enrollment.objects.filter(group_id__in=ids, activated_at__isnull=False)
        .order_by("group_id", "id")
        .values_list("group_id", "client_id", "activated_at", "ended_at")
    ):
        if joined is not None:
            roster[group_id].append((client_id, joined, ended))
    sessions = (
        GroupSession.objects.filter(
            group_id__in=ids, status=SessionStatus.SCHEDULED, ends_at__lte=now
        )
        .order_by("id")
        .values_list("pk", "group_id", "starts_at", "ends_at")
    )
    written = 0
    rows: list[Attendance] = []
    taken: list[int] = []

    def flush() -> None:
        nonlocal written
        Attendance.objects.bulk_create(rows, batch_size=batch_size)
        GroupSession.objects.filter(pk__in=taken).update(attendance_taken_at=F("ends_at"))
        written += len(rows)
        progress(len(rows))
        rows.clear()
        taken.clear()

    for session_id, group_id, starts, ends in sessions:
        present = [
            client_id
            for client_id, joined, ended in roster.get(group_id, ())
            if joined <= starts and (ended is None or ended > starts)
        ]
        if not present:
            continue
        taken.append(session_id)
        for client_id in present:
            status = _status(rng)
            joined_at, left_at = _times(rng, status, starts, ends)
            rows.append(
                Attendance(
                    session_id=session_id,
                    client_id=client_id,
                    status=status,
                    joined_at=joined_at,
                    left_at=left_at,
                )
            )
        if len(rows) >= batch_size * 5:
            flush()
    if rows or taken:
        flush()
    return written
