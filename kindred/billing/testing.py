"""Set-up helpers for billing tests, the browser journey and the demo: a past session of
a group with attendance taken through the real scheduling service."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import time_machine
from django.utils import timezone

from kindred.clients.models import Client
from kindred.groups.models import TherapyGroup
from kindred.scheduling.attendance import AttendanceEntry, attendance_record, seated_clients
from kindred.scheduling.models import AttendanceStatus, GroupSession


def past_session(group: TherapyGroup, index: int = 0) -> GroupSession:
    """The group's ``index``-th session that has already ended (0 is the earliest). The
    group's current places are dated back to a month before its first session, so its
    members had a seat at every past session (the cast enrolls them today)."""
    from kindred.groups.models import Enrollment

    first = GroupSession.objects.filter(group=group).order_by("starts_at").first()
    if first is not None:
        since = first.starts_at - timedelta(days=30)
        Enrollment.objects.filter(group=group, activated_at__gt=since).update(
            invited_at=since, activated_at=since
        )
    return (
        GroupSession.objects.filter(group=group, ends_at__lt=timezone.now())
        .select_related("group")
        .order_by("starts_at")[index]
    )


def take_attendance(
    session: GroupSession,
    actor: object,
    statuses: Mapping[Client, str] | None = None,
    *,
    default: str = AttendanceStatus.PRESENT_VIRTUAL,
) -> None:
    """Record attendance for everyone with a seat (``default`` unless ``statuses`` says
    otherwise), as at the session's middle."""
    given = {c.pk: s for c, s in (statuses or {}).items()}
    entries = [
        AttendanceEntry(client_id=c.pk, status=given.get(c.pk, default))
        for c in seated_clients(session)
    ]
    with time_machine.travel(session.starts_at + timedelta(minutes=30), tick=False):
        attendance_record(actor=actor, session=session, entries=entries)  # type: ignore[arg-type]
    session.refresh_from_db()
