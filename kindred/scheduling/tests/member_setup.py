"""Set-up shared by the member, calendar and directory tests, through the real services."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from django.utils import timezone

from kindred.core.testing import Cast
from kindred.groups.models import Enrollment, TherapyGroup
from kindred.groups.services import enrollment_invite, group_create
from kindred.intake.tests.screening_support import admit
from kindred.practice.models import Location, Room
from kindred.practice.services import location_create, room_create
from kindred.scheduling.models import GroupSession

VIDEO_LINK = "https://video.example.test/room-ab12-secret"


def next_weekday(weekday: int, *, weeks_ahead: int = 1) -> date:
    """A date ``weeks_ahead`` weeks from today falling on ``weekday`` (Monday = 0)."""
    day = timezone.localdate() + timedelta(weeks=weeks_ahead)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def office(cast: Cast, name: str = "Lakeview office") -> tuple[Location, Room]:
    location = location_create(
        actor=cast.admin,
        name=name,
        address_line1="100 Example Street",
        address_line2="Suite 4",
        city="Chicago",
        state="IL",
        postal_code="60601",
        timezone="America/Chicago",
        directions="Enter from the courtyard; the lift is on the left.",
    )
    room = room_create(actor=cast.admin, location=location, name="Maple room", capacity=12)
    return location, room


def make_group(cast: Cast, name: str, **values: Any) -> TherapyGroup:
    defaults: dict[str, Any] = {
        "actor": cast.coordinator,
        "name": name,
        "description": f"{name}: people supporting each other through change.",
        "lead_facilitator": cast.clinician,
        "recurrence": "FREQ=WEEKLY;COUNT=8",
        # 20:00 on Tuesdays: clear of the cast's groups (18:00 and 10:00), so the cast's
        # members can join without an overlap.
        "start_date": next_weekday(1),
        "start_time": time(20, 0),
        "timezone": "America/Chicago",
        "status": "active",
    }
    defaults.update(values)
    return group_create(**defaults)


def enrol(cast: Cast, group: TherapyGroup, *clients: Any) -> list[Enrollment]:
    result = []
    for client in clients:
        enrollment = enrollment_invite(actor=cast.coordinator, group=group, client=client)
        # Screening admits them, which activates the place (intake/admission.py).
        admit(client, group)
        enrollment.refresh_from_db()
        result.append(enrollment)
    return result


def sessions_of(group: TherapyGroup) -> list[GroupSession]:
    return list(GroupSession.objects.filter(group=group).order_by("original_starts_at"))
