from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kindred.scheduling.recurrence import (
    MAX_OCCURRENCES,
    RecurrenceError,
    expand,
    localize,
    validate_rule,
)

CHI = ZoneInfo("America/Chicago")
NY = ZoneInfo("America/New_York")


def test_weekly_group_keeps_its_wall_clock_time_across_both_dst_changes():
    # Tuesdays 18:00 in Chicago from February to mid-November 2026: DST starts 8 March
    # and ends 1 November. Local time must stay 18:00; the UTC time moves by an hour.
    sessions = expand(
        "FREQ=WEEKLY;BYDAY=TU;UNTIL=20261117",
        start_date=date(2026, 2, 3),
        start_time=time(18, 0),
        duration=timedelta(minutes=90),
        tz_name="America/Chicago",
    )
    assert {s.local_start.time() for s in sessions} == {time(18, 0)}
    by_date = {s.local_start.date(): s for s in sessions}
    assert by_date[date(2026, 3, 3)].starts_at == datetime(2026, 3, 4, 0, 0, tzinfo=UTC)
    assert by_date[date(2026, 3, 10)].starts_at == datetime(2026, 3, 10, 23, 0, tzinfo=UTC)
    assert by_date[date(2026, 10, 27)].starts_at == datetime(2026, 10, 27, 23, 0, tzinfo=UTC)
    assert by_date[date(2026, 11, 3)].starts_at == datetime(2026, 11, 4, 0, 0, tzinfo=UTC)
    assert len(sessions) == 42


def test_a_time_in_the_spring_gap_moves_forward_by_the_gap():
    # 02:30 on 8 March 2026 does not exist in Chicago: RFC 5545 reads it with the
    # offset before the gap, which is 03:30 CDT (08:30 UTC).
    start = localize(datetime(2026, 3, 8, 2, 30), CHI)
    assert start.astimezone(UTC) == datetime(2026, 3, 8, 8, 30, tzinfo=UTC)
    assert (start.hour, start.minute) == (3, 30)


def test_an_ambiguous_fall_back_time_means_its_first_occurrence():
    start = localize(datetime(2026, 11, 1, 1, 30), CHI)
    assert start.astimezone(UTC) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # CDT, -5


def test_duration_is_elapsed_time_across_the_change():
    [s] = expand(
        "FREQ=DAILY;COUNT=1",
        start_date=date(2026, 11, 1),
        start_time=time(0, 30),
        duration=timedelta(minutes=120),
        tz_name="America/Chicago",
    )
    assert s.ends_at - s.starts_at == timedelta(minutes=120)


def test_count_gives_exactly_that_many_sessions():
    sessions = expand(
        "RRULE:FREQ=WEEKLY;COUNT=12",
        start_date=date(2026, 1, 6),
        start_time=time(17, 30),
        duration=timedelta(minutes=60),
        tz_name="America/New_York",
    )
    assert len(sessions) == 12
    assert sessions[0].local_start == datetime(2026, 1, 6, 17, 30, tzinfo=NY)
    assert sessions[-1].local_start.date() == date(2026, 3, 24)


def test_window_limits_an_open_ended_rule():
    sessions = expand(
        "FREQ=WEEKLY;BYDAY=MO",
        start_date=date(2026, 1, 5),
        start_time=time(12, 0),
        duration=timedelta(minutes=60),
        tz_name="America/Chicago",
        window_start=datetime(2026, 6, 1, tzinfo=UTC),
        window_end=datetime(2026, 7, 1, tzinfo=UTC),
    )
    assert [s.local_start.day for s in sessions] == [1, 8, 15, 22, 29]


def test_open_ended_rule_without_a_window_is_refused():
    with pytest.raises(RecurrenceError, match="window"):
        expand(
            "FREQ=WEEKLY",
            start_date=date(2026, 1, 5),
            start_time=time(12, 0),
            duration=timedelta(minutes=60),
            tz_name="America/Chicago",
        )


@pytest.mark.parametrize(
    ("rule", "bounded", "message"),
    [
        ("", True, "Enter a recurrence rule"),
        ("FREQ=FORTNIGHTLY", True, "not a valid recurrence rule"),
        ("FREQ=HOURLY;COUNT=3", True, "not more often"),
        ("FREQ=WEEKLY", True, "needs an end"),
        ("FREQ=WEEKLY;UNTIL=20250101", True, "no sessions"),
        ("FREQ=DAILY;COUNT=600", True, "more than 520"),
        ("DTSTART:20260101T000000\nRRULE:FREQ=WEEKLY;COUNT=2", True, "only the RRULE"),
        ("FREQ=WEEKLY;BYMONTHDAY=31;BYMONTH=2;COUNT=2", True, "no sessions"),
    ],
)
def test_bad_rules_get_a_specific_reason(rule, bounded, message):
    with pytest.raises(RecurrenceError, match=message):
        validate_rule(
            rule, start_date=date(2026, 1, 5), start_time=time(18, 0), require_bounded=bounded
        )


def test_open_groups_may_have_open_ended_rules():
    rule = validate_rule(
        "FREQ=WEEKLY;BYDAY=WE",
        start_date=date(2026, 1, 5),
        start_time=time(18, 0),
        require_bounded=False,
    )
    assert rule.after(datetime(2026, 1, 5)) == datetime(2026, 1, 7, 18, 0)


def test_unknown_time_zone_is_refused():
    with pytest.raises(RecurrenceError, match="Unknown time zone"):
        expand(
            "FREQ=WEEKLY;COUNT=2",
            start_date=date(2026, 1, 5),
            start_time=time(18, 0),
            duration=timedelta(minutes=60),
            tz_name="Mars/Olympus",
        )


@given(
    day=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
    minutes=st.integers(min_value=0, max_value=24 * 60 - 1),
    tz=st.sampled_from(["America/Chicago", "America/New_York", "America/Denver", "UTC"]),
)
def test_every_occurrence_shows_the_intended_wall_clock_time_unless_in_a_gap(day, minutes, tz):
    wanted = time(minutes // 60, minutes % 60)
    [s] = expand(
        "FREQ=DAILY;COUNT=1",
        start_date=day,
        start_time=wanted,
        duration=timedelta(minutes=60),
        tz_name=tz,
    )
    shown = s.local_start.replace(tzinfo=None)
    intended = datetime.combine(day, wanted)
    # Either exactly the intended time, or (in a spring-forward gap) moved forward by
    # the size of the gap, one hour in these zones.
    assert shown in (intended, intended + timedelta(hours=1))
    if shown != intended:
        roundtrip = intended.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC).astimezone(ZoneInfo(tz))
        assert roundtrip.replace(tzinfo=None) == shown
    assert s.starts_at.tzinfo is UTC
    assert MAX_OCCURRENCES == 520
