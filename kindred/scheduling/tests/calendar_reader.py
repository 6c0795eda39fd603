"""What a calendar program shows for an iCalendar feed: the tests read Kindred's output
back with icalendar and expand it the way RFC 5545 says (the master's RRULE minus
EXDATE, exceptions replacing their RECURRENCE-ID, cancelled single events dropped)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from dateutil.rrule import rrulestr
from icalendar import Calendar


@dataclass(frozen=True, order=True)
class Shown:
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    location: str
    uid: str


def _dt_list(prop: Any) -> list[datetime]:
    if prop is None:
        return []
    props = prop if isinstance(prop, list) else [prop]
    return [d.dt for p in props for d in p.dts]


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def shown_events(body: bytes) -> list[Shown]:
    cal: Any = Calendar.from_ical(body)
    # icalendar's property types are a wide union; what a program reads is plain values.
    events: list[Any] = list(cal.walk("VEVENT"))
    masters = [e for e in events if "RRULE" in e]
    overrides: dict[tuple[str, datetime], Any] = {
        (str(e["UID"]), _utc(e["RECURRENCE-ID"].dt)): e for e in events if "RECURRENCE-ID" in e
    }
    shown: list[Shown] = []
    for master in masters:
        uid = str(master["UID"])
        start: datetime = master["DTSTART"].dt
        duration: timedelta = master["DURATION"].dt
        excluded = {_utc(d) for d in _dt_list(master.get("EXDATE"))}
        rule = rrulestr(master["RRULE"].to_ical().decode(), dtstart=start)
        for occurrence in rule:
            key = _utc(occurrence)
            if key in excluded:
                continue
            override = overrides.pop((uid, key), None)
            if override is not None:
                if str(override.get("STATUS", "")) == "CANCELLED":
                    continue
                shown.append(
                    Shown(
                        _utc(override["DTSTART"].dt),
                        _utc(override["DTEND"].dt),
                        str(override.get("LOCATION", "")),
                        uid,
                    )
                )
            else:
                shown.append(Shown(key, key + duration, str(master.get("LOCATION", "")), uid))
    assert not overrides, f"exceptions without a master occurrence: {list(overrides)}"
    for event in events:
        if "RRULE" in event or "RECURRENCE-ID" in event:
            continue
        if str(event.get("STATUS", "")) == "CANCELLED":
            continue
        shown.append(
            Shown(
                _utc(event["DTSTART"].dt),
                _utc(event["DTEND"].dt),
                str(event.get("LOCATION", "")),
                str(event["UID"]),
            )
        )
    return sorted(shown)
