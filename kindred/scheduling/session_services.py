"""Writes for single sessions: cancel, reschedule, move online, substitute facilitator.

Every function is keyword-only and atomic, checks MANAGE_GROUPS, validates with a
specific message per field (nothing saved on error), writes its audit event in the same
transaction, bumps the session's ``sequence`` (the iCalendar SEQUENCE) on every change
members would see, and tells the group's members and facilitators after commit.

Rooms: two live sessions in one room may not overlap. The check runs here with the
room's row locked (``select_for_update``), so two bookings of one room are made one at
a time; on PostgreSQL an exclusion constraint (migration 0002) backs it up.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from datetime import datetime

from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kindred.practice.models import Room
from kindred.scheduling.models import GroupSession, SessionStatus


def lock_room(room_id: int) -> None:
    """Hold the room's row until the transaction ends (call inside one)."""
    list(Room.objects.select_for_update().filter(pk=room_id).values_list("pk", flat=True))


def room_conflict(
    room_id: int,
    intervals: Sequence[tuple[datetime, datetime]],
    *,
    exclude_group_id: int | None = None,
    exclude_session_id: int | None = None,
) -> str | None:
    """The message for the first of ``intervals`` that overlaps another live session in
    the room, or None. One query, then a sweep in time order."""
    if not intervals:
        return None
    wanted = sorted(intervals)
    lo = wanted[0][0]
    hi = max(end for _start, end in wanted)
    others = GroupSession.objects.filter(
        room_id=room_id, status=SessionStatus.SCHEDULED, starts_at__lt=hi, ends_at__gt=lo
    )
    if exclude_group_id is not None:
        others = others.exclude(group_id=exclude_group_id)
    if exclude_session_id is not None:
        others = others.exclude(pk=exclude_session_id)
    booked = list(
        others.order_by("starts_at").values_list(
            "starts_at", "ends_at", "group__name", "room__name", "group__timezone"
        )
    )
    starts = [b[0] for b in booked]
    longest = max((b[1] - b[0] for b in booked), default=None)
    if longest is None:
        return None
    for start, end in wanted:
        # Only bookings that start within ``longest`` before this interval can reach it.
        k = bisect_left(starts, start - longest)
        while k < len(booked) and booked[k][0] < end:
            b_start, b_end, group_name, room_name, tz_name = booked[k]
            if start < b_end:
                return _room_message(room_name, group_name, b_start, tz_name)
            k += 1
    return None


def _room_message(room_name: str, group_name: str, when: datetime, tz_name: str) -> str:
    from kindred.scheduling.recurrence import zone

    local = when.astimezone(zone(tz_name))
    return _("%(room)s is booked by %(group)s at that time (%(when)s).") % {
        "room": room_name,
        "group": group_name,
        "when": date_format(local, "DATETIME_FORMAT"),
    }


def live_room_overlap_q(room_id: int, start: datetime, end: datetime) -> Q:
    return Q(room_id=room_id, status=SessionStatus.SCHEDULED, starts_at__lt=end, ends_at__gt=start)
