"""seed_scale's attendance: a row for each member holding a place at each past session,
never for a future or cancelled session, times that make sense, deterministic."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from kindred.core.seeding.attendance import seed_attendance
from kindred.groups.models import Enrollment
from kindred.scheduling.models import Attendance, AttendanceStatus, GroupSession, SessionStatus


@pytest.fixture
def scale(db: None) -> str:
    out = StringIO()
    call_command("seed_scale", clients=300, batch_size=500, stdout=out)
    return out.getvalue()


def test_scale_data_has_attendance_for_past_sessions_only(scale):
    assert "attendance" in scale
    rows = Attendance.objects.select_related("session")
    assert rows.count() > 300  # a few per client at this size
    now = timezone.now()
    assert not rows.filter(session__ends_at__gt=now).exists()
    assert not rows.filter(session__status=SessionStatus.CANCELLED).exists()
    taken = GroupSession.objects.filter(attendance_taken_at__isnull=False)
    assert set(taken.values_list("pk", flat=True)) == set(
        rows.values_list("session_id", flat=True).distinct()
    )


def test_each_row_is_a_member_holding_a_place_at_the_time(scale):
    places = {
        (e.group_id, e.client_id): e for e in Enrollment.objects.filter(activated_at__isnull=False)
    }
    for row in Attendance.objects.select_related("session")[:2000]:
        place = places[(row.session.group_id, row.client_id)]
        assert place.activated_at is not None
        assert place.activated_at <= row.session.starts_at
        assert place.ended_at is None or place.ended_at > row.session.starts_at


def test_statuses_and_times_look_like_real_sheets(scale):
    statuses = Counter(Attendance.objects.values_list("status", flat=True))
    total = sum(statuses.values())
    assert statuses[AttendanceStatus.PRESENT_VIRTUAL] / total > 0.6
    assert statuses[AttendanceStatus.NO_SHOW] > 0
    absent = (AttendanceStatus.ABSENT_NOTICE, AttendanceStatus.NO_SHOW)
    assert not Attendance.objects.filter(status__in=absent, joined_at__isnull=False).exists()
    assert not Attendance.objects.exclude(status__in=absent).filter(joined_at=None).exists()


def test_attendance_is_deterministic_and_not_added_twice_by_accident(scale):
    first = list(Attendance.objects.order_by("session_id", "client_id").values_list("status"))
    Attendance.objects.all().delete()
    GroupSession.objects.update(attendance_taken_at=None)
    groups = list(GroupSession.objects.values_list("group_id", flat=True).distinct())
    seed_attendance(groups, now=timezone.now(), seed=2026, batch_size=100)
    again = list(Attendance.objects.order_by("session_id", "client_id").values_list("status"))
    assert again == first
