"""Set-up helpers for notes tests, the browser journey and benchmarks: a session of the
cast's group A with members, attendance taken, and the clock where notes are written.
Built through the real services (groups, scheduling)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import time_machine
from django.utils import timezone

from kindred.clients.models import Client
from kindred.clients.services import client_create
from kindred.groups.models import TherapyGroup
from kindred.groups.services import enrollment_activate, enrollment_invite
from kindred.scheduling.attendance import AttendanceEntry, attendance_record, seated_clients
from kindred.scheduling.models import AttendanceStatus, GroupSession

PRESENT = AttendanceStatus.PRESENT_VIRTUAL

#: Synthetic first names for extra members (none is a common English word).
FIRST_NAMES = (
    "Rowan", "Quinn", "Emery", "Harlow", "Marlowe", "Oakley", "Sutton", "Tamsin",
    "Wren", "Zadie", "Ellis", "Juniper", "Lennox", "Briar", "Caspian", "Dashiell",
)  # fmt: skip


def at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def upcoming(group: TherapyGroup, index: int = 1) -> GroupSession:
    """The group's ``index``-th session from now (index 1 is at least six days away)."""
    return (
        GroupSession.objects.filter(group=group, starts_at__gt=timezone.now())
        .select_related("group")
        .order_by("starts_at")[index]
    )


def add_members(
    group: TherapyGroup, count: int, *, last_name: str = "Testperson", start: int = 0
) -> list[Client]:
    """``count`` more members with a place in ``group`` from today."""
    if group.max_size < len(seated_now(group)) + count:
        group.max_size = min(50, len(seated_now(group)) + count)
        group.save(update_fields=["max_size"])
    clients = []
    for i in range(start, start + count):
        first = FIRST_NAMES[i % len(FIRST_NAMES)] + ("" if i < len(FIRST_NAMES) else str(i))
        client = client_create(
            actor=None,
            legal_first_name=first,
            legal_last_name=last_name,
            date_of_birth=date(1988, 3, 1 + i % 27),
            state_of_residence="IL",
            email=f"{first.lower()}.{last_name.lower()}@example.test",
        )
        enrollment = enrollment_invite(actor=None, group=group, client=client)
        enrollment_activate(actor=None, enrollment=enrollment)
        clients.append(client)
    return clients


def seated_now(group: TherapyGroup) -> list[int]:
    from kindred.groups.models import SEAT_STATUSES, Enrollment

    return list(
        Enrollment.objects.filter(group=group, status__in=SEAT_STATUSES).values_list(
            "client_id", flat=True
        )
    )


def take_attendance(
    session: GroupSession,
    actor: object,
    *,
    absent: Sequence[Client] = (),
    absent_status: str = AttendanceStatus.NO_SHOW,
) -> None:
    """Everyone with a place present, except ``absent``; at the session's middle."""
    absent_ids = {c.pk for c in absent}
    entries = [
        AttendanceEntry(client_id=c.pk, status=absent_status if c.pk in absent_ids else PRESENT)
        for c in seated_clients(session)
    ]
    with at(session.starts_at + timedelta(minutes=30)):
        attendance_record(actor=actor, session=session, entries=entries)  # type: ignore[arg-type]


def after(session: GroupSession, hours: float = 1) -> time_machine.travel:
    """The clock ``hours`` after the session ended."""
    return at(session.ends_at + timedelta(hours=hours))
