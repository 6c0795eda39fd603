"""Set-up for the matching tests that use the database, through the real services."""

from __future__ import annotations

from datetime import date, time
from itertools import count

from kindred.clients.models import Client, ConcernTag
from kindred.clients.services import availability_add, client_create, concern_create
from kindred.core.testing import Cast
from kindred.groups.models import TherapyGroup
from kindred.intake.models import Urgency, WaitlistEntry
from kindred.intake.waitlist import waitlist_add
from kindred.practice.models import Location
from kindred.practice.services import location_create

_names = count(1)


def concern(name: str) -> ConcernTag:
    found = ConcernTag.objects.filter(name=name).first()
    return found or concern_create(actor=None, name=name)


def meeting_weekday(group: TherapyGroup) -> int:
    """The weekday (0 = Monday) the group meets, in its own time zone."""
    return group.start_date.weekday()


def waiting(
    cast: Cast,
    *,
    first: str = "",
    state: str = "IL",
    tz: str = "America/Chicago",
    windows: list[tuple[int, str, str]] | None = None,
    concerns: list[ConcernTag] | None = None,
    urgency: str = Urgency.ROUTINE,
    group: TherapyGroup | None = None,
    modality: str = "either",
    language: str = "en",
    born: date = date(1988, 6, 15),
    gender: str = "",
    locations: list[Location] | None = None,
) -> WaitlistEntry:
    """A new client on the waitlist. ``windows`` default to the evening cast's group A
    meets (17:00-20:00 Chicago on its weekday), so they fit group A."""
    n = next(_names)
    client = client_create(
        actor=None,
        legal_first_name=first or f"Wren{n}",
        legal_last_name=f"Waiting{n}",
        date_of_birth=born,
        state_of_residence=state,
        timezone=tz,
        preferred_modality=modality,
        language=language,
        gender=gender,
        locations=locations or [],
        concerns=concerns or [],
        email=f"wren{n}@example.test",
    )
    for weekday, start, end in (
        windows if windows is not None else [(meeting_weekday(cast.group_a), "17:00", "20:00")]
    ):
        availability_add(
            actor=None,
            client=client,
            weekday=weekday,
            start_time=time.fromisoformat(start),
            end_time=time.fromisoformat(end),
        )
    return waitlist_add(actor=cast.coordinator, client=client, group=group, urgency=urgency)


def client_of(entry: WaitlistEntry) -> Client:
    return Client.objects.get(pk=entry.client_id)


def office(name: str = "Lakeview office", state: str = "IL") -> Location:
    """A practice office (in use)."""
    found = Location.objects.filter(name=name).first()
    return found or location_create(
        actor=None,
        name=name,
        address_line1="100 Example Street",
        city="Chicago" if state == "IL" else "Wichita",
        state=state,
        postal_code="60601" if state == "IL" else "67202",
        timezone="America/Chicago",
    )
