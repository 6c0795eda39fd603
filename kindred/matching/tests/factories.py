"""Small builders for the matching tests: a person and a group that fit each other,
changed field by field with ``dataclasses.replace``-style keyword arguments."""

from __future__ import annotations

from typing import Any

from kindred.matching.types import Group, Interval, Modality, Person

DAY = 24 * 60
# Monday 15:00-18:00 UTC, and a group meeting Monday 16:00-17:30 UTC.
MONDAY_AFTERNOON = Interval(15 * 60, 18 * 60)
MONDAY_MEETING = Interval(16 * 60, 17 * 60 + 30)


def person(entry_id: int = 1, **changes: Any) -> Person:
    values: dict[str, Any] = {
        "entry_id": entry_id,
        "client_id": 1000 + entry_id,
        "state": "IL",
        "age": 35,
        "gender": "woman",
        "language": "en",
        "modality": Modality.VIRTUAL,
        "availability": (MONDAY_AFTERNOON,),
        "concerns": frozenset({1}),
        "waited_days": 10,
        "urgency": 0,
    }
    values.update(changes)
    return Person(**values)


def group(group_id: int = 1, **changes: Any) -> Group:
    values: dict[str, Any] = {
        "group_id": group_id,
        "open_seats": 4,
        "size": 4,
        "min_size": 4,
        "modality": Modality.VIRTUAL,
        "meetings": (MONDAY_MEETING,),
        "covered_states": frozenset({"IL", "KS"}),
        "location_id": None,
        "language": "en",
    }
    values.update(changes)
    return Group(**values)
