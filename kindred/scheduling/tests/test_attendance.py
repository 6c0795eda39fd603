"""Attendance: the sheet (seats, suggestions, attested states, constant queries) and
recording it (all rows or none, the rules, corrections, audit)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from kindred.audit.models import AuditEvent
from kindred.clients.models import Client
from kindred.clients.services import client_create
from kindred.core.errors import InvalidState, NotFound, NotPermitted
from kindred.groups.models import Enrollment, TherapyGroup
from kindred.groups.services import enrollment_activate, enrollment_invite, group_update
from kindred.scheduling import access, gate
from kindred.scheduling.attendance import (
    AttendanceEntry,
    AttendanceInvalid,
    attendance_record,
    attendance_sheet,
    seated_clients,
)
from kindred.scheduling.models import AbsenceNotice, Attendance, AttendanceStatus, GroupSession
from kindred.scheduling.tests.g2_support import at, upcoming

PRESENT = AttendanceStatus.PRESENT_VIRTUAL


@pytest.fixture
def session(cast):
    return upcoming(cast.group_a)


def during(session: GroupSession) -> time_machine.travel:
    return at(session.starts_at + timedelta(minutes=30))


def entry(
    client: Client,
    status: str = PRESENT,
    joined: datetime | None = None,
    left: datetime | None = None,
) -> AttendanceEntry:
    return AttendanceEntry(client_id=client.pk, status=status, joined_at=joined, left_at=left)


def first_past(group: TherapyGroup) -> GroupSession:
    past = (
        GroupSession.objects.filter(group=group, starts_at__lt=timezone.now())
        .select_related("group")
        .first()
    )
    assert past is not None
    return past


def add_members(
    group: TherapyGroup,
    count: int,
    *,
    activated_at: datetime | None = None,
    name: str = "Extra",
) -> list[Client]:
    clients = []
    for i in range(count):
        client = client_create(
            actor=None,
            legal_first_name=f"{name}{i:02d}",
            legal_last_name="Member",
            date_of_birth=timezone.localdate().replace(year=1990, day=1),
            state_of_residence="IL",
            email=f"{name.lower()}{i:02d}@example.test",
        )
        enrollment = enrollment_invite(
            actor=None, group=group, client=client, invited_at=activated_at
        )
        enrollment_activate(actor=None, enrollment=enrollment, activated_at=activated_at)
        clients.append(client)
    return clients


# --- Seats -----------------------------------------------------------------------------------


def test_seated_members_are_those_enrolled_on_the_sessions_date(cast, session):
    assert [c.pk for c in seated_clients(session)] == [cast.client.pk, cast.client_b.pk]
    past = first_past(cast.group_a)
    # The cast joined today; a session two weeks ago had nobody yet.
    assert seated_clients(past) == []


# --- The sheet -------------------------------------------------------------------------------


def test_the_sheet_suggests_absent_with_notice_and_shows_attested_states(cast, session):
    AbsenceNotice.objects.create(session=session, client=cast.client_b, note="Travelling")
    with at(session.starts_at - timedelta(minutes=5)):
        gate.attest_state(actor=cast.member, session=session, state="KS")
    sheet = attendance_sheet(actor=cast.facilitator, session=session)
    by_client = {row.client.pk: row for row in sheet.rows}
    avery, blair = by_client[cast.client.pk], by_client[cast.client_b.pk]
    assert (avery.status, avery.suggested) == ("", False)
    assert avery.attestation is not None
    assert avery.attestation.state == "KS"
    assert avery.attestation.allowed
    assert (blair.status, blair.suggested) == (AttendanceStatus.ABSENT_NOTICE, True)
    assert AuditEvent.objects.filter(action="scheduling.attendance.viewed").count() == 1


def test_the_sheet_takes_the_same_queries_for_two_or_twelve_members(
    cast, session, django_assert_num_queries
):
    def count_queries() -> tuple[int, int]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            sheet = attendance_sheet(actor=cast.facilitator, session=session)
        return len(ctx.captured_queries), len(sheet.rows)

    few, rows = count_queries()
    assert rows == 2
    group_update(actor=cast.coordinator, group=cast.group_a, max_size=16)
    extra = add_members(cast.group_a, 10)
    for client in extra[:5]:
        AbsenceNotice.objects.create(session=session, client=client)
    with during(session):
        attendance_record(
            actor=cast.facilitator, session=session, entries=[entry(c) for c in extra[5:]]
        )
    many, rows = count_queries()
    assert rows == 12
    assert many == few
    assert many <= 6


def test_only_the_sessions_facilitators_and_group_managers_take_attendance(cast, session):
    for who in (cast.facilitator, cast.coordinator, cast.admin):
        assert access.get_session_for_attendance(who, session.pk) == session
    with pytest.raises(NotPermitted):
        access.get_session_for_attendance(cast.supervisor, session.pk)
    with pytest.raises(NotPermitted):
        attendance_sheet(actor=cast.supervisor, session=session)
    with during(session), pytest.raises(NotPermitted):
        attendance_record(actor=cast.supervisor, session=session, entries=[entry(cast.client)])
    assert not Attendance.objects.exists()


# --- Recording -------------------------------------------------------------------------------


def test_recording_saves_every_row_and_marks_the_session_taken(cast, session):
    joined = session.starts_at + timedelta(minutes=12)
    left = session.ends_at - timedelta(minutes=20)
    with during(session):
        changed = attendance_record(
            actor=cast.facilitator,
            session=session,
            entries=[
                entry(cast.client, AttendanceStatus.LATE, joined=joined),
                entry(cast.client_b, AttendanceStatus.LEFT_EARLY, left=left),
            ],
        )
    assert len(changed) == 2
    rows = {a.client_id: a for a in Attendance.objects.filter(session=session)}
    assert rows[cast.client.pk].status == AttendanceStatus.LATE
    assert rows[cast.client.pk].joined_at == joined
    assert rows[cast.client_b.pk].left_at == left
    assert rows[cast.client_b.pk].recorded_by == cast.facilitator
    session.refresh_from_db()
    assert session.attendance_taken_by == cast.facilitator
    assert session.attendance_taken_at is not None
    assert AuditEvent.objects.filter(action="scheduling.attendance.taken").count() == 1
    per_member = AuditEvent.objects.filter(action="scheduling.attendance.recorded")
    assert set(per_member.values_list("client_id", flat=True)) == {
        cast.client.pk,
        cast.client_b.pk,
    }


def test_a_correction_is_allowed_and_audited(cast, session):
    with during(session):
        attendance_record(
            actor=cast.facilitator,
            session=session,
            entries=[entry(cast.client), entry(cast.client_b)],
        )
    taken_at = GroupSession.objects.get(pk=session.pk).attendance_taken_at
    with at(session.starts_at + timedelta(days=2)):
        changed = attendance_record(
            actor=cast.coordinator,
            session=session,
            entries=[entry(cast.client, AttendanceStatus.NO_SHOW), entry(cast.client_b)],
        )
    assert [a.client_id for a in changed] == [cast.client.pk]  # the unchanged row is untouched
    assert Attendance.objects.get(client=cast.client).status == AttendanceStatus.NO_SHOW
    assert Attendance.objects.get(client=cast.client).recorded_by == cast.coordinator
    assert GroupSession.objects.get(pk=session.pk).attendance_taken_at == taken_at
    correction = AuditEvent.objects.get(
        action="scheduling.attendance.corrected", client_id=cast.client.pk
    )
    assert correction.detail == {"fields": ["status"]}
    assert correction.actor == cast.coordinator


def test_attendance_for_someone_without_a_seat_saves_nothing(cast, session):
    with during(session), pytest.raises(AttendanceInvalid) as caught:
        attendance_record(
            actor=cast.facilitator,
            session=session,
            entries=[entry(cast.client), entry(cast.outsider_client)],
        )
    assert set(caught.value.row_errors) == {cast.outsider_client.pk}
    assert (
        "did not have a place in the group"
        in caught.value.row_errors[cast.outsider_client.pk]["client"][0]
    )
    assert not Attendance.objects.exists()
    assert GroupSession.objects.get(pk=session.pk).attendance_taken_at is None


def test_a_member_who_joined_after_the_session_has_no_seat_at_it(cast):
    past = first_past(cast.group_a)
    with pytest.raises(AttendanceInvalid) as caught:
        attendance_record(actor=cast.facilitator, session=past, entries=[entry(cast.client)])
    assert "client" in caught.value.row_errors[cast.client.pk]
    assert not Attendance.objects.exists()


def test_a_member_who_joined_later_the_same_day_has_a_seat(cast, session):
    with at(session.starts_at + timedelta(days=2)):
        (late,) = add_members(cast.group_a, 1, activated_at=session.ends_at + timedelta(hours=1))
        (next_day,) = add_members(
            cast.group_a, 1, activated_at=session.ends_at + timedelta(days=1), name="Later"
        )
    seated = seated_clients(session)
    assert late in seated
    assert next_day not in seated


@pytest.mark.parametrize(
    ("case"),
    [
        (30, 20, "left_at", "after the joining time"),
        (30, 30, "left_at", "after the joining time"),
        (-120, None, "joined_at", "Use a time between"),
        (None, 60 * 24, "left_at", "Use a time between"),
    ],
)
def test_times_must_be_in_order_and_during_the_session(cast, session, case):
    joined, left, field, message = case
    start = session.starts_at

    def t(minutes: int | None) -> datetime | None:
        return None if minutes is None else start + timedelta(minutes=minutes)

    with during(session), pytest.raises(AttendanceInvalid) as caught:
        attendance_record(
            actor=cast.facilitator,
            session=session,
            entries=[
                entry(cast.client_b),
                entry(cast.client, AttendanceStatus.LATE, joined=t(joined), left=t(left)),
            ],
        )
    errors = caught.value.row_errors[cast.client.pk]
    assert message in errors[field][0]
    assert caught.value.errors == {f"{cast.client.pk}.{field}": errors[field]}
    assert not Attendance.objects.exists()


def test_absent_members_have_no_times_and_statuses_must_be_known(cast, session):
    with during(session), pytest.raises(AttendanceInvalid) as caught:
        attendance_record(
            actor=cast.facilitator,
            session=session,
            entries=[
                entry(cast.client, AttendanceStatus.NO_SHOW, joined=session.starts_at),
                entry(cast.client_b, "sleeping"),
            ],
        )
    assert "joined_at" in caught.value.row_errors[cast.client.pk]
    assert "status" in caught.value.row_errors[cast.client_b.pk]
    assert not Attendance.objects.exists()


def test_a_member_given_twice_is_an_error(cast, session):
    with during(session), pytest.raises(AttendanceInvalid) as caught:
        attendance_record(
            actor=cast.facilitator,
            session=session,
            entries=[entry(cast.client), entry(cast.client, AttendanceStatus.NO_SHOW)],
        )
    assert "twice" in caught.value.row_errors[cast.client.pk]["client"][0]
    assert not Attendance.objects.exists()


def test_a_cancelled_session_takes_only_cancelled_by_practice(cast, session):
    GroupSession.objects.filter(pk=session.pk).update(status="cancelled")
    session.refresh_from_db()
    sheet = attendance_sheet(actor=cast.facilitator, session=session)
    assert [r.status for r in sheet.rows] == [AttendanceStatus.CANCELLED_BY_PRACTICE] * 2
    assert sheet.statuses == [("practice_cancel", "Cancelled by practice")]
    # Before the date, too: a cancelled session can be closed off at once.
    with pytest.raises(AttendanceInvalid) as caught:
        attendance_record(actor=cast.facilitator, session=session, entries=[entry(cast.client)])
    assert "Cancelled by practice" in caught.value.row_errors[cast.client.pk]["status"][0]
    attendance_record(
        actor=cast.facilitator,
        session=session,
        entries=[
            entry(cast.client, AttendanceStatus.CANCELLED_BY_PRACTICE),
            entry(cast.client_b, AttendanceStatus.CANCELLED_BY_PRACTICE),
        ],
    )
    assert Attendance.objects.filter(status="practice_cancel").count() == 2


def test_attendance_opens_ten_minutes_before_the_start(cast, session):
    with at(session.starts_at - timedelta(minutes=11)), pytest.raises(InvalidState):
        attendance_record(actor=cast.facilitator, session=session, entries=[entry(cast.client)])
    assert not Attendance.objects.exists()
    with at(session.starts_at - timedelta(minutes=10)):
        attendance_record(actor=cast.facilitator, session=session, entries=[entry(cast.client)])
    assert Attendance.objects.count() == 1


def test_a_co_facilitator_takes_attendance_but_not_in_other_groups(cast, session):
    group_update(actor=cast.coordinator, group=cast.group_a, co_facilitators=[cast.clinician_b])
    assert access.get_session_for_attendance(cast.facilitator_b, session.pk) == session
    with during(session):
        attendance_record(actor=cast.facilitator_b, session=session, entries=[entry(cast.client)])
    other = upcoming(cast.group_b)
    with pytest.raises(NotFound):
        access.get_session_for_attendance(cast.facilitator, other.pk)
    assert Enrollment.objects.filter(group=cast.group_a).count() == 2
