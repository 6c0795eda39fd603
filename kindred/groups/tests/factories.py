"""Set-up helpers for group and session tests, built through the real services."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from django.utils import timezone

from kindred.clients.models import Client
from kindred.clients.services import client_create
from kindred.groups.models import TherapyGroup
from kindred.groups.services import enrollment_invite, group_create
from kindred.practice.models import Location, Room
from kindred.practice.services import location_create, room_create


def chicago(name: str = "Loop Office") -> Location:
    return location_create(
        actor=None,
        name=name,
        address_line1="100 Example St",
        city="Chicago",
        state="IL",
        postal_code="60601",
        timezone="America/Chicago",
    )


def tampa() -> Location:
    return location_create(
        actor=None,
        name="Tampa Office",
        address_line1="200 Example Ave",
        city="Tampa",
        state="FL",
        postal_code="33602",
        timezone="America/New_York",
    )


def room(location: Location, name: str = "Room 2") -> Room:
    return room_create(actor=None, location=location, name=name, capacity=12)


def next_weekday(weekday: int, *, weeks: int = 1) -> date:
    """A date ``weeks`` weeks from now that falls on ``weekday`` (0 = Monday)."""
    today = timezone.localdate()
    ahead = (weekday - today.weekday()) % 7
    return today + timedelta(days=ahead + 7 * weeks)


def group_kwargs(cast: Any, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "Tuesday Grief Circle",
        "description": "A steady place to talk about loss.",
        "lead_facilitator": cast.clinician,
        "recurrence": "FREQ=WEEKLY;COUNT=8",
        "start_date": next_weekday(1),
        "start_time": time(18, 0),
        "timezone": "America/Chicago",
        "format": "closed",
        "modality": "virtual",
        "min_size": 2,
        "max_size": 8,
    }
    values.update(overrides)
    return values


def make_group(cast: Any, actor: Any = None, **overrides: Any) -> TherapyGroup:
    return group_create(actor=actor or cast.coordinator, **group_kwargs(cast, **overrides))


def person(first: str, last: str = "Example", *, born: date = date(1990, 1, 1)) -> Client:
    return client_create(
        actor=None,
        legal_first_name=first,
        legal_last_name=last,
        date_of_birth=born,
        state_of_residence="IL",
        email=f"{first.lower()}.{last.lower()}@example.test",
    )


def enrol(cast: Any, group: TherapyGroup, client: Client, *, active: bool = True) -> Any:
    enrollment = enrollment_invite(actor=cast.coordinator, group=group, client=client)
    if active:
        # A place becomes active once a screening admits them (intake/admission.py);
        # these groups ask for no agreement, so the admit activates it.
        from kindred.intake.tests.screening_support import admit

        admit(client, group)
        enrollment.refresh_from_db()
    return enrollment
