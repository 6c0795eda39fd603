"""The pure iCalendar writer: series with exceptions, single sessions, daylight saving,
and what a calendar program makes of the output (read back with icalendar)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from kindred.scheduling.calendar import (
    FeedGroup,
    GroupFacts,
    SessionFacts,
    feed_calendar,
    plan_feed,
    plan_series,
    session_calendar,
    to_bytes,
)
from kindred.scheduling.recurrence import expand
from kindred.scheduling.tests.calendar_reader import shown_events

CHI = ZoneInfo("America/Chicago")
HOST = "kindred.example.test"
ONLINE = "Online (join from Kindred)"
OFFICE = "Lakeview office, 100 Example St, Chicago, IL 60601"
STAMP = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def _group(**overrides: object) -> GroupFacts:
    values: dict[str, object] = {
        "id": 7,
        "name": "Tuesday evening group",
        "recurrence": "FREQ=WEEKLY;BYDAY=TU;COUNT=8",
        "start_date": date(2026, 2, 24),
        "start_time": time(18, 0),
        "timezone": "America/Chicago",
        "session_minutes": 90,
        "location_text": ONLINE,
        "updated_at": STAMP,
    }
    values.update(overrides)
    return GroupFacts(**values)  # type: ignore[arg-type]


def _sessions(group: GroupFacts, *, first_id: int = 100) -> list[SessionFacts]:
    occurrences = expand(
        group.recurrence,
        start_date=group.start_date,
        start_time=group.start_time,
        duration=timedelta(minutes=group.session_minutes),
        tz_name=group.timezone,
        window_end=datetime(2027, 1, 1, tzinfo=UTC),
    )
    return [
        SessionFacts(
            id=first_id + i,
            original_starts_at=o.starts_at,
            starts_at=o.starts_at,
            ends_at=o.ends_at,
            cancelled=False,
            sequence=0,
            location_text=group.location_text,
            updated_at=STAMP,
        )
        for i, o in enumerate(occurrences)
    ]


def _feed(group: GroupFacts, sessions: list[SessionFacts]) -> bytes:
    plan = plan_feed([FeedGroup(group, tuple(sessions))])
    return to_bytes(feed_calendar(plan, host=HOST, name="My group sessions"))


def _expected(sessions: list[SessionFacts]) -> list[tuple[datetime, datetime, str]]:
    return sorted(
        (s.starts_at, s.ends_at, s.location_text)
        for s in sessions
        if s.included and not s.cancelled
    )


def _seen(body: bytes) -> list[tuple[datetime, datetime, str]]:
    return [(s.starts_at, s.ends_at, s.location) for s in shown_events(body)]


def _parse(body: bytes) -> Any:
    """The calendar, read back (icalendar's property types are a wide union)."""
    return Calendar.from_ical(body)


def _events(body: bytes) -> list[Any]:
    return list(_parse(body).walk("VEVENT"))


def test_a_weekly_group_is_one_series_that_keeps_18_00_across_the_march_change():
    group = _group()
    sessions = _sessions(group)
    body = _feed(group, sessions)
    [master] = _events(body)
    assert str(master["UID"]) == f"group-7@{HOST}"
    assert master["DTSTART"].params["TZID"] == "America/Chicago"
    assert master["DTSTART"].dt == datetime(2026, 2, 24, 18, 0, tzinfo=CHI)
    # Bounded at the last session that exists, in UTC as RFC 5545 wants with a TZID.
    assert master["RRULE"]["UNTIL"] == [datetime(2026, 4, 14, 23, 0, tzinfo=UTC)]
    assert "COUNT" not in master["RRULE"]
    shown = shown_events(body)
    assert [s.starts_at.astimezone(CHI).time() for s in shown] == [time(18, 0)] * 8
    # Before 8 March Chicago is UTC-6, after it UTC-5.
    assert shown[1].starts_at == datetime(2026, 3, 4, 0, 0, tzinfo=UTC)
    assert shown[2].starts_at == datetime(2026, 3, 10, 23, 0, tzinfo=UTC)
    assert _seen(body) == _expected(sessions)


def test_the_vtimezone_describes_the_zone_on_both_sides_of_the_change():
    group = _group()
    body = _feed(group, _sessions(group))
    cal = _parse(body)
    [vtimezone] = cal.walk("VTIMEZONE")
    assert vtimezone["TZID"] == "America/Chicago"
    tz = vtimezone.to_tz()
    assert datetime(2026, 3, 3, 18, 0, tzinfo=tz).utcoffset() == timedelta(hours=-6)
    assert datetime(2026, 3, 10, 18, 0, tzinfo=tz).utcoffset() == timedelta(hours=-5)
    assert cal.get_missing_tzids() == set()


def test_a_cancelled_session_is_an_exdate_at_its_local_time():
    group = _group()
    sessions = _sessions(group)
    sessions[2] = replace(sessions[2], cancelled=True, sequence=1)
    body = _feed(group, sessions)
    [master] = _events(body)
    exdates = [d.dt for d in master["EXDATE"].dts]
    assert exdates == [datetime(2026, 3, 10, 18, 0, tzinfo=CHI)]
    assert master["EXDATE"].params["TZID"] == "America/Chicago"
    assert master["SEQUENCE"] == 1
    assert _seen(body) == _expected(sessions)
    assert len(shown_events(body)) == 7


def test_a_rescheduled_session_is_an_exception_with_its_recurrence_id_and_sequence():
    group = _group()
    sessions = _sessions(group)
    moved = sessions[3]
    sessions[3] = replace(
        moved,
        starts_at=moved.starts_at + timedelta(days=2, hours=1),
        ends_at=moved.ends_at + timedelta(days=2, hours=1),
        sequence=2,
    )
    body = _feed(group, sessions)
    master, exception = _events(body)
    assert exception["UID"] == master["UID"]
    assert exception["RECURRENCE-ID"].dt == datetime(2026, 3, 17, 18, 0, tzinfo=CHI)
    assert exception["DTSTART"].dt == datetime(2026, 3, 19, 19, 0, tzinfo=CHI)
    assert exception["SEQUENCE"] == 2
    assert master["SEQUENCE"] == 0
    assert _seen(body) == _expected(sessions)


def test_a_session_moved_online_says_so_in_its_exception():
    group = _group(location_text=OFFICE)
    sessions = _sessions(group)
    sessions[5] = replace(sessions[5], location_text=ONLINE, sequence=1)
    body = _feed(group, sessions)
    master, exception = _events(body)
    assert str(master["LOCATION"]) == OFFICE
    assert str(exception["LOCATION"]) == ONLINE
    assert _seen(body) == _expected(sessions)


def test_a_session_a_substitute_covers_leaves_the_lead_facilitators_series():
    group = _group()
    sessions = _sessions(group)
    sessions[1] = replace(sessions[1], included=False)
    body = _feed(group, sessions)
    [master] = _events(body)
    assert [d.dt for d in master["EXDATE"].dts] == [datetime(2026, 3, 3, 18, 0, tzinfo=CHI)]
    assert _seen(body) == _expected(sessions)


def test_rule_slots_without_a_session_are_excluded():
    group = _group()
    sessions = _sessions(group)
    del sessions[4]
    body = _feed(group, sessions)
    assert _seen(body) == _expected(sessions)


def test_an_open_group_is_bounded_at_the_last_generated_session():
    group = _group(recurrence="FREQ=WEEKLY;BYDAY=TU")
    sessions = _sessions(group)[:10]
    body = _feed(group, sessions)
    [master] = _events(body)
    assert master["RRULE"]["UNTIL"] == [sessions[-1].original_starts_at]
    assert _seen(body) == _expected(sessions)


def test_sessions_from_a_changed_rule_fall_back_to_one_event_each():
    old = _group()
    new = _group(recurrence="FREQ=WEEKLY;BYDAY=TH;COUNT=4", start_date=date(2026, 4, 23))
    sessions = _sessions(old)[:5] + _sessions(new, first_id=200)
    assert plan_series(new, sessions) is None
    body = _feed(new, sessions)
    events = _events(body)
    assert len(events) == 9
    assert {str(e["UID"]) for e in events} == {f"session-{s.id}@{HOST}" for s in sessions}
    assert all("RRULE" not in e for e in events)
    assert _seen(body) == _expected(sessions)


def test_single_events_carry_cancellation_as_a_status():
    group = _group(recurrence="garbage")
    sessions = _sessions(_group())[:3]
    sessions[0] = replace(sessions[0], cancelled=True, sequence=3)
    body = _feed(group, sessions)
    events = {str(e["UID"]): e for e in _events(body)}
    cancelled = events[f"session-{sessions[0].id}@{HOST}"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled["SEQUENCE"] == 3
    assert _seen(body) == _expected(sessions)


def test_a_group_with_one_session_left_is_a_single_event():
    group = _group()
    sessions = _sessions(group)[-1:]
    [event] = _events(_feed(group, sessions))
    assert "RRULE" not in event
    assert str(event["UID"]) == f"session-{sessions[0].id}@{HOST}"


def test_dtstamp_is_when_the_information_last_changed():
    group = _group()
    sessions = _sessions(group)
    later = datetime(2026, 2, 1, 9, 30, 15, 123456, tzinfo=UTC)
    sessions[0] = replace(sessions[0], updated_at=later)
    [master] = _events(_feed(group, sessions))
    assert master["DTSTAMP"].dt == later.replace(microsecond=0)


def test_a_session_download_is_one_published_event():
    group = _group()
    session = _sessions(group)[2]
    body = to_bytes(session_calendar(group, session, host=HOST, name="Tuesday evening group"))
    cal = _parse(body)
    assert str(cal["METHOD"]) == "PUBLISH"
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == f"session-{session.id}@{HOST}"
    assert event["DTSTART"].dt == datetime(2026, 3, 10, 18, 0, tzinfo=CHI)
    assert event["DTEND"].dt == datetime(2026, 3, 10, 19, 30, tzinfo=CHI)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["America/Chicago"]


def test_several_groups_in_one_feed_share_one_vtimezone():
    a = _group()
    b = _group(id=8, name="Thursday group", recurrence="FREQ=WEEKLY;BYDAY=TH;COUNT=4")
    plan = plan_feed(
        [FeedGroup(a, tuple(_sessions(a))), FeedGroup(b, tuple(_sessions(b, first_id=300)))]
    )
    cal = _parse(to_bytes(feed_calendar(plan, host=HOST, name="Mine")))
    assert len(cal.walk("VTIMEZONE")) == 1
    assert len(cal.walk("VEVENT")) == 2


RULES = [
    "FREQ=WEEKLY;BYDAY=TU;COUNT=20",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=16",
    "FREQ=MONTHLY;BYDAY=1WE;COUNT=10",
    "FREQ=DAILY;INTERVAL=3;COUNT=25",
    "FREQ=WEEKLY;BYDAY=SU",
]


@settings(max_examples=60, deadline=None)
@given(
    schedule=st.tuples(
        st.sampled_from(RULES),
        st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
        st.sampled_from([0, 90, 150, 18 * 60, 23 * 60 + 30]),
        st.sampled_from(["America/Chicago", "America/New_York", "America/Phoenix", "UTC"]),
    ),
    changes=st.lists(
        st.tuples(st.integers(0, 40), st.sampled_from(["cancel", "move", "online", "sub"])),
        max_size=6,
    ),
    skip_first=st.integers(0, 3),
)
def test_what_a_calendar_shows_is_exactly_the_sessions(schedule, changes, skip_first):
    rule, start, minutes, tz = schedule
    group = _group(
        recurrence=rule,
        start_date=start,
        start_time=time(minutes // 60, minutes % 60),
        timezone=tz,
        location_text=OFFICE,
    )
    sessions = _sessions(group)[skip_first:30]
    for index, change in changes:
        if not sessions:
            break
        i = index % len(sessions)
        s = sessions[i]
        if change == "cancel":
            sessions[i] = replace(s, cancelled=True, sequence=s.sequence + 1)
        elif change == "move":
            sessions[i] = replace(
                s,
                starts_at=s.starts_at + timedelta(hours=2),
                ends_at=s.ends_at + timedelta(hours=2, minutes=30),
                sequence=s.sequence + 1,
            )
        elif change == "online":
            sessions[i] = replace(s, location_text=ONLINE, sequence=s.sequence + 1)
        else:
            sessions[i] = replace(s, included=False)
    body = _feed(group, sessions)
    assert _seen(body) == _expected(sessions)
    # Every instance keeps the group's local wall-clock time unless it was moved.
    moved = {s.starts_at for s in sessions if s.starts_at != s.original_starts_at}
    for shown in shown_events(body):
        if shown.starts_at not in moved:
            local = shown.starts_at.astimezone(ZoneInfo(tz))
            intended = group.start_time
            assert (local.time() == intended) or local.time() == time(
                (intended.hour + 1) % 24, intended.minute
            )
