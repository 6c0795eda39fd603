"""A member's own sessions and absence notices: the rules, through the real services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from kindred.audit.models import AuditEvent, Category
from kindred.core.errors import InvalidState, NotFound, NotPermitted, ValidationFailed
from kindred.groups.models import Enrollment
from kindred.groups.services import enrollment_withdraw
from kindred.scheduling.member import (
    absence_notice_give,
    absence_notice_withdraw,
    attendance_words,
    get_own_notice,
    past_sessions,
    present,
    upcoming_sessions,
    zone_name,
)
from kindred.scheduling.models import AbsenceNotice, Attendance, GroupSession
from kindred.scheduling.session_services import session_cancel
from kindred.scheduling.tests.member_setup import enrol, make_group, office, sessions_of


def _next(cast: Any) -> Any:
    return upcoming_sessions(cast.client).exclude(starts_at__lte=timezone.now()).first()


# --- Upcoming and past ---------------------------------------------------------------------


def test_upcoming_sessions_are_the_members_groups_only(cast):
    mine = list(upcoming_sessions(cast.client))
    assert mine
    assert {s.group_id for s in mine} == {cast.group_a.pk}
    assert all(s.ends_at > timezone.now() for s in mine)
    assert [s.starts_at for s in mine] == sorted(s.starts_at for s in mine)
    outsider = list(upcoming_sessions(cast.outsider_client))
    assert {s.group_id for s in outsider} == {cast.group_b.pk}


def test_upcoming_carries_only_the_members_own_notice(cast):
    session = _next(cast)
    absence_notice_give(actor=cast.member_b, session=session, note="Blair's private note")
    mine: Any = next(s for s in upcoming_sessions(cast.client) if s.pk == session.pk)
    assert mine.my_notice_id is None
    assert mine.my_notice_note is None
    theirs: Any = next(s for s in upcoming_sessions(cast.client_b) if s.pk == session.pk)
    assert theirs.my_notice_note == "Blair's private note"


def test_a_group_left_is_no_longer_upcoming(cast):
    enrollment = Enrollment.objects.get(group=cast.group_a, client=cast.client)
    enrollment_withdraw(actor=cast.coordinator, enrollment=enrollment, reason="Moved away")
    assert not upcoming_sessions(cast.client).exists()


def test_past_sessions_show_the_members_own_attendance_only(cast):
    before = [s for s in sessions_of(cast.group_a) if s.starts_at < timezone.now()]
    # The cast's members joined today; a session with their attendance recorded is
    # theirs even so.
    Attendance.objects.create(session=before[0], client=cast.client, status="virtual")
    Attendance.objects.create(session=before[0], client=cast.client_b, status="no_show")
    Attendance.objects.create(session=before[1], client=cast.client_b, status="virtual")
    upcoming = _next(cast)
    later = upcoming.ends_at + timedelta(hours=1)
    rows = {s.pk: s for s in past_sessions(cast.client, now=later)}
    assert set(rows) == {before[0].pk, upcoming.pk}
    assert attendance_words(rows[before[0].pk]) == "You were there"
    assert attendance_words(rows[upcoming.pk]) == "Not recorded yet"
    theirs = {s.pk: s for s in past_sessions(cast.client_b, now=later)}
    assert attendance_words(theirs[before[0].pk]) == "You missed this one"
    assert attendance_words(theirs[before[1].pk]) == "You were there"


def test_past_sessions_leave_out_the_time_before_the_member_joined(cast):
    # The outsider joins group A today: its earlier sessions are not theirs.
    enrol(cast, cast.group_a, cast.outsider_client)
    assert not [s for s in past_sessions(cast.outsider_client) if s.group_id == cast.group_a.pk]


def test_times_are_in_the_members_own_zone_with_the_zone_named(cast):
    cast.client.timezone = "America/New_York"
    cast.client.save(update_fields=["timezone"])
    session = _next(cast)
    shown = present(session, cast.client, now=timezone.now())
    assert shown.starts.utcoffset() in (timedelta(hours=-5), timedelta(hours=-4))
    assert shown.starts.hour == 19  # the group meets at 18:00 Chicago time
    assert shown.zone == "Eastern Time"
    assert shown.group_zone == "Central Time"
    assert zone_name("Europe/Lisbon") == "Lisbon"


def test_an_in_person_session_has_its_address_and_directions(cast):
    location, room = office(cast)
    group = make_group(cast, "Harbor Lights", modality="in_person", location=location, room=room)
    enrol(cast, group, cast.client)
    session = upcoming_sessions(cast.client).filter(group=group).first()
    assert session is not None
    shown = present(session, cast.client, now=timezone.now())
    assert shown.place is not None
    assert shown.place.lines == ["100 Example Street", "Suite 4", "Chicago, IL 60601"]
    assert shown.place.room == "Maple room"
    assert "courtyard" in shown.place.directions
    assert not shown.online


# --- Absence notices -----------------------------------------------------------------------


def test_a_member_gives_and_withdraws_an_absence_notice(cast):
    session = _next(cast)
    notice = absence_notice_give(actor=cast.member, session=session, note="  Travelling  ")
    assert notice.note == "  Travelling  "  # stored byte-exact
    event = AuditEvent.objects.get(action="scheduling.absence_notice.given")
    assert event.client_id == cast.client.pk
    assert "Travelling" not in str(event.detail)
    again = absence_notice_give(actor=cast.member, session=session, note="Back late")
    assert again.pk == notice.pk
    assert AbsenceNotice.objects.get().note == "Back late"
    assert AuditEvent.objects.filter(action="scheduling.absence_notice.changed").count() == 1
    absence_notice_withdraw(actor=cast.member, notice=again)
    assert not AbsenceNotice.objects.exists()
    assert AuditEvent.objects.filter(action="scheduling.absence_notice.withdrawn").count() == 1


def test_a_note_that_is_too_long_saves_nothing(cast):
    with pytest.raises(ValidationFailed) as caught:
        absence_notice_give(actor=cast.member, session=_next(cast), note="x" * 501)
    assert "note" in caught.value.errors
    assert not AbsenceNotice.objects.exists()


def test_no_notice_once_the_session_has_started(cast):
    session = _next(cast)
    with (
        time_machine.travel(session.starts_at + timedelta(minutes=1), tick=False),
        pytest.raises(InvalidState, match="already started"),
    ):
        absence_notice_give(actor=cast.member, session=session)
    assert not AbsenceNotice.objects.exists()


def test_a_notice_cannot_be_withdrawn_after_the_start(cast):
    session = _next(cast)
    notice = absence_notice_give(actor=cast.member, session=session)
    with (
        time_machine.travel(session.starts_at + timedelta(minutes=5), tick=False),
        pytest.raises(InvalidState, match="already started"),
    ):
        absence_notice_withdraw(actor=cast.member, notice=notice)
    assert AbsenceNotice.objects.filter(pk=notice.pk).exists()


def test_no_notice_for_a_cancelled_session(cast):
    session = _next(cast)
    session_cancel(actor=cast.coordinator, session=session, reason="Holiday")
    session.refresh_from_db()
    with pytest.raises(InvalidState, match="cancelled"):
        absence_notice_give(actor=cast.member, session=session)


def test_no_notice_for_a_group_the_member_is_not_in(cast):
    other = GroupSession.objects.filter(group=cast.group_b, starts_at__gt=timezone.now()).first()
    assert other is not None
    with pytest.raises(InvalidState, match="place in this group"):
        absence_notice_give(actor=cast.member, session=other)
    assert not AbsenceNotice.objects.exists()


@pytest.mark.parametrize("who", ["facilitator", "coordinator", "admin"])
def test_staff_do_not_give_absence_notices(cast, who):
    with pytest.raises(NotPermitted):
        absence_notice_give(actor=getattr(cast, who), session=_next(cast))


def test_a_member_cannot_touch_another_members_notice(cast):
    notice = absence_notice_give(actor=cast.member_b, session=_next(cast))
    with pytest.raises(NotFound):
        get_own_notice(cast.member, notice.pk)
    with pytest.raises(NotFound):
        absence_notice_withdraw(actor=cast.member, notice=notice)
    anonymous: Any = AnonymousUser()
    with pytest.raises(NotFound):
        get_own_notice(anonymous, notice.pk)
    assert AbsenceNotice.objects.filter(pk=notice.pk).exists()
    assert (
        AuditEvent.objects.filter(
            category=Category.DENIED, action="scheduling.absencenotice.denied"
        ).count()
        == 3
    )
