"""iCalendar (RFC 5545) calendars of group sessions. Pure: no ORM; the callers
(calendar_feeds.py) load the facts and pass them in.

How a group's sessions are written
----------------------------------
Where the sessions a person sees are exactly what the group's rule says — apart from
some sessions that were cancelled, rescheduled, moved online or to another room — the
group is written as ONE recurring series: a master VEVENT with the RRULE, EXDATE for
cancelled sessions (and for rule slots without a session, or sessions a substitute
covers for this facilitator), and an exception VEVENT (same UID, RECURRENCE-ID = the
slot the rule gave) for each session that differs from the master. The series is
bounded with UNTIL at the last session that exists, so an open group's feed shows the
sessions Kindred has generated, no more.

When that is not possible, each session is its own VEVENT (UID ``session-<id>@host``,
``STATUS:CANCELLED`` for cancelled ones). That happens when:

- the group's rule no longer produces the sessions that exist — after a coordinator
  changed the recurrence, past sessions come from the old rule and future ones from the
  new (regenerated) one; re-deriving a series from two rules would be fragile, and
  per-session events are always right;
- the rule cannot be read, or fewer than two sessions are left to show.

Which one a group gets is checked every time: the series is re-expanded with the same
RFC 5545 rules calendar programs use (recurrence.py) and must give exactly the
sessions' original slots, otherwise the group falls back to per-session events.

Times are written in the group's own zone with a VTIMEZONE (so a Tuesday 18:00 group
stays at 18:00 across daylight-saving changes in every calendar program). Events carry
the group's name, the time and a location ("Online (join from Kindred)" for virtual
sessions) — never the video link, clinical details or anyone's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vRecur

from kindred.scheduling import recurrence
from kindred.scheduling.recurrence import RecurrenceError

PRODID = "-//Kindred//Group sessions//EN"
#: Calendar programs that honour it re-fetch a subscribed feed this often.
REFRESH_INTERVAL = timedelta(hours=1)
#: A series needs at least this many sessions to be worth writing as one.
MIN_SERIES_SESSIONS = 2


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """One session, as a calendar shows it."""

    id: int
    original_starts_at: datetime  # aware: the slot the rule gave (RECURRENCE-ID)
    starts_at: datetime  # aware
    ends_at: datetime  # aware
    cancelled: bool
    sequence: int
    location_text: str
    updated_at: datetime
    #: False when the session is in the group but not in this person's calendar (a
    #: substitute covers it for this facilitator): the series leaves it out.
    included: bool = True


@dataclass(frozen=True, slots=True)
class GroupFacts:
    """What a calendar needs of a group: its name, rule and usual place."""

    id: int
    name: str
    recurrence: str
    start_date: date
    start_time: time
    timezone: str
    session_minutes: int
    location_text: str  # where the group usually meets (the series' LOCATION)
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class FeedGroup:
    group: GroupFacts
    sessions: tuple[SessionFacts, ...]


@dataclass(frozen=True, slots=True)
class Series:
    """A group written as one recurring event (see the module doc)."""

    group: GroupFacts
    first_start: datetime  # aware, in the group's zone: DTSTART
    rule: vRecur  # bounded with UNTIL (UTC)
    exdates: tuple[datetime, ...]  # aware, in the group's zone
    exceptions: tuple[SessionFacts, ...]
    sequence: int
    stamp: datetime


@dataclass(frozen=True, slots=True)
class FeedPlan:
    """How each group of a feed is written: as a series or as single sessions."""

    series: tuple[Series, ...] = ()
    singles: tuple[tuple[GroupFacts, SessionFacts], ...] = field(default_factory=tuple)


# --- Planning ----------------------------------------------------------------------------


def _rule_body(text: str) -> str:
    body = (text or "").strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    return body.upper()


def plan_series(group: GroupFacts, sessions: Sequence[SessionFacts]) -> Series | None:
    """The group's sessions as one recurring series, or None when per-session events
    are needed (see the module doc for when and why)."""
    ordered = sorted(sessions, key=lambda s: s.original_starts_at)
    live = [s for s in ordered if s.included and not s.cancelled]
    if len(live) < MIN_SERIES_SESSIONS:
        return None
    tz = ZoneInfo(group.timezone)
    duration = timedelta(minutes=group.session_minutes)
    first = ordered[0].original_starts_at
    last = ordered[-1].original_starts_at
    try:
        original = recurrence.expand(
            group.recurrence,
            start_date=group.start_date,
            start_time=group.start_time,
            duration=duration,
            tz_name=group.timezone,
            window_start=first,
            window_end=last + timedelta(seconds=1),
            limit=len(ordered) * 4 + 10,
        )
        rule = vRecur.from_ical(_rule_body(group.recurrence))
    except (RecurrenceError, ValueError, TypeError):
        return None
    slots = [o.starts_at for o in original]
    slot_set = set(slots)
    by_slot = {s.original_starts_at.astimezone(UTC): s for s in ordered}
    if len(by_slot) != len(ordered) or not set(by_slot) <= slot_set:
        return None  # sessions the rule does not give (the rule was changed)

    rule.pop("COUNT", None)
    rule.pop("UNTIL", None)
    first_local = first.astimezone(tz)
    # What a calendar program makes of the series we are about to write must be exactly
    # the rule's slots in this range; otherwise write single sessions.
    try:
        rewritten = recurrence.expand(
            rule.to_ical().decode(),
            start_date=first_local.date(),
            start_time=first_local.time(),
            duration=duration,
            tz_name=group.timezone,
            window_end=last + timedelta(seconds=1),
            limit=len(slots) + 1,
        )
    except (RecurrenceError, ValueError, TypeError):
        return None
    if [o.starts_at for o in rewritten] != slots:
        return None
    rule["UNTIL"] = [last.astimezone(UTC)]

    exdates: list[datetime] = []
    exceptions: list[SessionFacts] = []
    master_sessions: list[SessionFacts] = []
    for slot in slots:
        session = by_slot.get(slot)
        if session is None:
            exdates.append(slot.astimezone(tz))
        elif session.cancelled or not session.included:
            exdates.append(slot.astimezone(tz))
            master_sessions.append(session)
        elif _differs_from_master(group, session, duration):
            exceptions.append(session)
        else:
            master_sessions.append(session)
    return Series(
        group=group,
        first_start=first_local,
        rule=rule,
        exdates=tuple(exdates),
        exceptions=tuple(exceptions),
        sequence=max((s.sequence for s in master_sessions), default=0),
        stamp=max([group.updated_at, *(s.updated_at for s in master_sessions)]),
    )


def _differs_from_master(group: GroupFacts, session: SessionFacts, duration: timedelta) -> bool:
    return (
        session.starts_at != session.original_starts_at
        or session.ends_at - session.starts_at != duration
        or session.location_text != group.location_text
    )


def plan_feed(
    groups: Sequence[FeedGroup], singles: Sequence[tuple[GroupFacts, SessionFacts]] = ()
) -> FeedPlan:
    """Decide, group by group, between a series and single sessions. ``singles`` are
    sessions shown on their own whatever happens (a substitute's sessions in someone
    else's group)."""
    series: list[Series] = []
    single: list[tuple[GroupFacts, SessionFacts]] = []
    for item in groups:
        planned = plan_series(item.group, item.sessions)
        if planned is not None:
            series.append(planned)
        else:
            single.extend((item.group, s) for s in item.sessions if s.included)
    single.extend(singles)
    single.sort(key=lambda pair: (pair[1].starts_at, pair[1].id))
    return FeedPlan(series=tuple(series), singles=tuple(single))


# --- Writing -----------------------------------------------------------------------------


def _new_calendar(name: str, *, method: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    cal.add("x-wr-calname", " ".join(name.split()))  # one line, or icalendar refuses it
    cal.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", REFRESH_INTERVAL)
    return cal


def _stamp(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(microsecond=0)


def _local(value: datetime, tz_name: str) -> datetime:
    return value.astimezone(ZoneInfo(tz_name)).replace(microsecond=0)


def _base_event(uid: str, group: GroupFacts, *, description: str) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("summary", group.name)
    if description:
        event.add("description", description)
    event.add("transp", "OPAQUE")
    event.add("class", "PRIVATE")
    return event


def series_uid(group_id: int, host: str) -> str:
    return f"group-{group_id}@{host}"


def session_uid(session_id: int, host: str) -> str:
    return f"session-{session_id}@{host}"


def _series_events(series: Series, *, host: str, description: str) -> list[Event]:
    group = series.group
    uid = series_uid(group.id, host)
    master = _base_event(uid, group, description=description)
    master.add("dtstamp", _stamp(series.stamp))
    master.add("dtstart", series.first_start.replace(microsecond=0))
    master.add("duration", timedelta(minutes=group.session_minutes))
    master.add("rrule", series.rule)
    if series.exdates:
        master.add("exdate", list(series.exdates))
    master.add("location", group.location_text)
    master.add("sequence", series.sequence)
    master.add("status", "CONFIRMED")
    events = [master]
    for session in series.exceptions:
        exception = _base_event(uid, group, description=description)
        exception.add("dtstamp", _stamp(max(group.updated_at, session.updated_at)))
        exception.add("recurrence-id", _local(session.original_starts_at, group.timezone))
        exception.add("dtstart", _local(session.starts_at, group.timezone))
        exception.add("dtend", _local(session.ends_at, group.timezone))
        exception.add("location", session.location_text)
        exception.add("sequence", session.sequence)
        exception.add("status", "CONFIRMED")
        events.append(exception)
    return events


def _single_event(
    group: GroupFacts, session: SessionFacts, *, host: str, description: str
) -> Event:
    event = _base_event(session_uid(session.id, host), group, description=description)
    event.add("dtstamp", _stamp(max(group.updated_at, session.updated_at)))
    event.add("dtstart", _local(session.starts_at, group.timezone))
    event.add("dtend", _local(session.ends_at, group.timezone))
    event.add("location", session.location_text)
    event.add("sequence", session.sequence)
    event.add("status", "CANCELLED" if session.cancelled else "CONFIRMED")
    return event


def _add_timezones(cal: Calendar, instants: Sequence[datetime]) -> None:
    """VTIMEZONE components for every zone used, covering the calendar's dates."""
    if not instants:
        return
    first = min(instants).date() - timedelta(days=7)
    last = max(instants).date() + timedelta(days=7)
    cal.add_missing_timezones(first_date=first, last_date=last)


def feed_calendar(plan: FeedPlan, *, host: str, name: str, description: str = "") -> Calendar:
    """A person's subscription feed."""
    cal = _new_calendar(name)
    instants: list[datetime] = []
    for series in plan.series:
        for event in _series_events(series, host=host, description=description):
            cal.add_component(event)
        instants.append(series.first_start)
        instants.append(series.rule["UNTIL"][0])
        instants.extend(s.starts_at for s in series.exceptions)
    for group, session in plan.singles:
        cal.add_component(_single_event(group, session, host=host, description=description))
        instants.append(session.starts_at)
    _add_timezones(cal, instants)
    return cal


def session_calendar(
    group: GroupFacts, session: SessionFacts, *, host: str, name: str, description: str = ""
) -> Calendar:
    """One session, for a one-off download (.ics)."""
    cal = _new_calendar(name, method="PUBLISH")
    cal.add_component(_single_event(group, session, host=host, description=description))
    _add_timezones(cal, [session.starts_at, session.ends_at])
    return cal


def to_bytes(cal: Calendar) -> bytes:
    body: bytes = cal.to_ical()
    return body
