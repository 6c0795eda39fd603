"""Generating sessions from a group's rule, and regenerating only the future."""

import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.utils import timezone

from kindred.groups.models import TherapyGroup
from kindred.groups.services import group_update
from kindred.groups.tests.factories import make_group
from kindred.scheduling import generation
from kindred.scheduling.models import AbsenceNotice, Attendance, GroupSession, SessionStatus

CHI = ZoneInfo("America/Chicago")


def local_times(group: TherapyGroup) -> set[time]:
    return {s.starts_at.astimezone(CHI).time() for s in group.sessions.all()}


def test_generating_twice_creates_nothing_new(cast):
    group = make_group(cast)
    assert generation.generate_sessions(group) == 0
    assert group.sessions.count() == 8


@time_machine.travel(datetime(2027, 2, 1, 12, tzinfo=UTC), tick=False)
def test_wall_clock_time_holds_across_daylight_saving(cast):
    # Tuesdays 18:00 Chicago from 2 February to 27 April 2027; DST starts 14 March.
    group = make_group(cast, start_date=date(2027, 2, 2), recurrence="FREQ=WEEKLY;COUNT=13")
    assert local_times(group) == {time(18, 0)}
    utc_hours = {s.starts_at.astimezone(UTC).hour for s in group.sessions.all()}
    assert utc_hours == {0, 23}  # 00:00 UTC in winter, 23:00 UTC in summer
    # A length change after DST keeps 90 minutes of real time each session.
    assert {s.ends_at - s.starts_at for s in group.sessions.all()} == {timedelta(minutes=90)}


def _past_and_future(group: TherapyGroup) -> tuple[list[GroupSession], list[GroupSession]]:
    now = timezone.now()
    sessions = list(group.sessions.order_by("starts_at"))
    return [s for s in sessions if s.starts_at <= now], [s for s in sessions if s.starts_at > now]


def test_changing_the_time_regenerates_only_future_sessions(cast):
    group = cast.group_a  # 12 weekly sessions at 18:00, the first two weeks ago
    past, future = _past_and_future(group)
    assert past
    assert future
    attended = past[0]
    Attendance.objects.create(session=attended, client=cast.client, status="virtual")
    noticed = future[1]
    AbsenceNotice.objects.create(session=noticed, client=cast.client_b)
    past_rows = {s.pk: (s.starts_at, s.ends_at, s.status) for s in past}

    group_update(actor=cast.coordinator, group=group, start_time=time(19, 0))

    # The past is exactly as it was, attendance included.
    for pk, row in past_rows.items():
        s = GroupSession.objects.get(pk=pk)
        assert (s.starts_at, s.ends_at, s.status) == row
    assert Attendance.objects.filter(session=attended).exists()
    # The future session with an absence notice is kept, cancelled; the others are gone.
    noticed.refresh_from_db()
    assert (noticed.status, noticed.cancel_reason) == (
        SessionStatus.CANCELLED,
        generation.REASON_SCHEDULE_CHANGED,
    )
    assert noticed.sequence == 1
    remaining_old = GroupSession.objects.filter(pk__in=[s.pk for s in future]).exclude(
        pk=noticed.pk
    )
    assert not remaining_old.exists()
    # New slots at 19:00 for the rest of the rule (12 in all from the start date).
    new_future = group.sessions.filter(starts_at__gt=timezone.now(), status="scheduled")
    assert {s.starts_at.astimezone(CHI).time() for s in new_future} == {time(19, 0)}
    assert len(past) + new_future.count() == 12


def test_changing_the_length_updates_future_ends_and_bumps_the_sequence(cast):
    group = cast.group_a
    past, future = _past_and_future(group)
    group_update(actor=cast.coordinator, group=group, session_minutes=60)
    for s in future:
        s.refresh_from_db()
        assert (s.ends_at - s.starts_at, s.sequence) == (timedelta(minutes=60), 1)
    for s in past:
        s.refresh_from_db()
        assert s.ends_at - s.starts_at == timedelta(minutes=90)


def test_a_rescheduled_session_keeps_its_own_time(cast):
    from kindred.scheduling.session_services import session_reschedule

    group = cast.group_a
    _past, future = _past_and_future(group)
    moved = future[-1]
    new_start = moved.starts_at + timedelta(days=1)
    session_reschedule(actor=cast.coordinator, session=moved, starts_at=new_start)
    group_update(actor=cast.coordinator, group=group, session_minutes=60)
    moved.refresh_from_db()
    assert (moved.starts_at, moved.ends_at) == (new_start, new_start + timedelta(minutes=90))


def test_shortening_the_rule_drops_later_sessions(cast):
    group = cast.group_a
    group_update(actor=cast.coordinator, group=group, recurrence="FREQ=WEEKLY;COUNT=4")
    assert group.sessions.count() == 4


def test_a_rule_for_another_weekday(cast):
    group = cast.group_a
    past, _future = _past_and_future(group)
    weekday = (group.start_date.weekday() + 2) % 7
    day = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][weekday]
    group_update(
        actor=cast.coordinator, group=group, recurrence=f"FREQ=WEEKLY;BYDAY={day};COUNT=12"
    )
    future = group.sessions.filter(starts_at__gt=timezone.now())
    assert {s.starts_at.astimezone(CHI).weekday() for s in future} == {weekday}
    assert all(GroupSession.objects.filter(pk=s.pk).exists() for s in past)


def test_the_horizon_moves_on_daily_and_idempotently(cast):
    group = cast.group_b  # open-ended weekly
    before = group.sessions.count()
    assert generation.extend_sessions() == 0  # already generated up to the horizon
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        out = io.StringIO()
        call_command("extend_sessions", stdout=out)
        assert "sessions created" in out.getvalue()
        after = group.sessions.count()
        assert after in (before + 2, before + 3)
        assert generation.extend_sessions() == 0
    group.refresh_from_db()
    assert group.sessions_generated_until > timezone.now() + timedelta(weeks=26)
    # Closed groups are generated in full and never extended.
    assert cast.group_a.sessions.count() == 12


def test_paused_groups_are_not_extended(cast):
    from kindred.groups.services import group_pause

    group_pause(actor=cast.coordinator, group=cast.group_b)
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        assert generation.extend_sessions() == 0


def test_many_groups_at_once_in_few_queries(cast, django_assert_max_num_queries):
    groups = [
        make_group(
            cast,
            name=f"G{i}",
            start_time=time(8 + i % 10, 0),
            format="open",
            recurrence="FREQ=WEEKLY",
        )
        for i in range(12)
    ]
    GroupSession.objects.filter(group__in=groups).delete()
    TherapyGroup.objects.filter(pk__in=[g.pk for g in groups]).update(sessions_generated_until=None)
    for g in groups:
        g.sessions_generated_until = None
    start = timezone.now()
    with django_assert_max_num_queries(8):
        created = generation.generate_for_groups(
            groups, since=start, until=start + timedelta(days=365)
        )
    assert created == GroupSession.objects.filter(group__in=groups).count()
    # Each starts on its first Tuesday within the next week: 51 or 52 in a year.
    assert 12 * 51 <= created <= 12 * 53


@pytest.mark.parametrize("status", ["paused", "completed", "cancelled"])
def test_groups_that_do_not_meet_get_no_sessions(cast, status):
    group = make_group(cast)
    TherapyGroup.objects.filter(pk=group.pk).update(status=status)
    group.refresh_from_db()
    GroupSession.objects.filter(group=group).delete()
    assert generation.generate_for_groups([group]) == 0


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: the exclusion constraint (btree_gist) exists only there; on "
    "SQLite the services' check is the only guard (CI runs the suite on PostgreSQL).",
)
def test_the_database_itself_refuses_a_double_booked_room(cast):
    from kindred.groups.tests.factories import chicago, room

    loop = chicago()
    room_2 = room(loop, "Room 2")
    first = make_group(cast, modality="in_person", location=loop, room=room_2)
    second = make_group(cast, name="Second", start_time=time(7, 0))
    GroupSession.objects.filter(group=second).delete()
    # Go around the service's check, as a race between two bookings would.
    TherapyGroup.objects.filter(pk=second.pk).update(
        modality="in_person", location=loop, room=room_2, start_time=first.start_time
    )
    second.refresh_from_db()
    with pytest.raises(IntegrityError):
        generation.generate_sessions(second)
    assert not GroupSession.objects.filter(group=second).exists()
