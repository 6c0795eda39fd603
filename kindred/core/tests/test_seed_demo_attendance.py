"""The demo's attendance (core/seeding/attendance_demo.py): taken at every past session
through the real services, by the session's facilitator, with the members' attested
states for the virtual ones; one session left for the facilitator to take; the
trajectories and the not-on-track rules have something to show in each group."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from kindred.audit.models import AuditEvent
from kindred.core.seeding.demo import GROUPS
from kindred.core.seeding.measures import Kind, demo_kinds_by_group
from kindred.groups.models import Enrollment, EnrollmentStatus, GroupModality, TherapyGroup
from kindred.measures.dashboard import group_dashboard
from kindred.measures.models import Administration, AdministrationStatus, Timing
from kindred.measures.outcomes import client_trajectories
from kindred.scheduling.attendance import ABSENT_STATUSES, seated_clients
from kindred.scheduling.models import (
    AbsenceNotice,
    Attendance,
    AttendanceStatus,
    GroupSession,
    StateAttestation,
)


@pytest.fixture
def demo(db, settings) -> None:
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())


def _past() -> list[GroupSession]:
    return list(
        GroupSession.objects.filter(ends_at__lte=timezone.now())
        .select_related("group__lead_facilitator__user", "substitute_facilitator__user")
        .order_by("group_id", "starts_at")
    )


def test_attendance_at_every_past_session_but_the_first_groups_latest(demo):
    past = _past()
    untaken = [s for s in past if s.attendance_taken_at is None]
    first_group = TherapyGroup.objects.get(name=GROUPS[0].name)
    assert len(untaken) == 1
    assert untaken[0] == [s for s in past if s.group_id == first_group.pk][-1]
    assert not Attendance.objects.filter(session=untaken[0]).exists()
    for session in past:
        if session == untaken[0]:
            continue
        rows = Attendance.objects.filter(session=session)
        # One row for each member who had a place that day, recorded by the facilitator
        # after the session ended.
        assert {r.client_id for r in rows} == {c.pk for c in seated_clients(session)}
        facilitator = session.group.lead_facilitator.user
        assert {r.recorded_by_id for r in rows} == {facilitator.pk}
        assert session.attendance_taken_by == facilitator
        assert session.attendance_taken_at is not None
        assert session.ends_at <= session.attendance_taken_at <= timezone.now()
    # The facilitator's home page asks for that one (unless it was earlier today).
    from kindred.scheduling.dashboard import facilitator_home_context

    home = facilitator_home_context(actor=untaken[0].group.lead_facilitator.user)
    assert [row.session.pk for row in home["untaken"]] in ([untaken[0].pk], [])
    assert home["untaken_count"] == len(home["untaken"])
    # Through attendance_record: the sheet and each member's row are audited.
    taken = [s for s in past if s.attendance_taken_at is not None]
    assert AuditEvent.objects.filter(action="scheduling.attendance.taken").count() == len(taken)
    assert AuditEvent.objects.filter(action="scheduling.attendance.recorded").count() == (
        Attendance.objects.count()
    )


def test_mostly_present_some_late_a_notice_and_a_rare_no_show(demo):
    statuses = Counter(Attendance.objects.values_list("status", flat=True))
    total = sum(statuses.values())
    present = (
        statuses[AttendanceStatus.PRESENT_VIRTUAL] + statuses[AttendanceStatus.PRESENT_IN_PERSON]
    )
    assert present / total > 0.75
    assert statuses[AttendanceStatus.LATE] >= 1
    assert statuses[AttendanceStatus.NO_SHOW] == 1
    notices = statuses[AttendanceStatus.ABSENT_NOTICE]
    assert 1 <= notices <= len(GROUPS)
    # Each absence with notice was given by the member beforehand, through the service.
    for row in Attendance.objects.filter(status=AttendanceStatus.ABSENT_NOTICE).select_related(
        "session"
    ):
        notice = AbsenceNotice.objects.get(session=row.session, client=row.client)
        assert notice.created_at < row.session.starts_at
    assert AbsenceNotice.objects.count() == notices
    assert AuditEvent.objects.filter(action="scheduling.absence_notice.given").count() == notices
    # Times: none for those who were not there; joining before leaving, near the session.
    assert not Attendance.objects.filter(status__in=ABSENT_STATUSES, joined_at__isnull=False)
    for row in Attendance.objects.exclude(status__in=ABSENT_STATUSES).select_related("session"):
        if row.session.modality == GroupModality.VIRTUAL or row.status in (
            AttendanceStatus.LATE,
            AttendanceStatus.LEFT_EARLY,
        ):
            assert row.joined_at is not None
            assert row.left_at is not None
            assert row.joined_at < row.left_at
        if row.status == AttendanceStatus.LATE:
            assert row.joined_at is not None
            assert row.joined_at > row.session.starts_at


def test_members_who_joined_by_video_attested_where_they_were(demo):
    virtual = [s for s in _past() if s.modality == GroupModality.VIRTUAL]
    assert virtual
    attended = {
        (a.session_id, a.client_id) for a in Attendance.objects.exclude(status__in=ABSENT_STATUSES)
    }
    attested = {
        (a.session_id, a.client_id): a for a in StateAttestation.objects.select_related("client")
    }
    for session in virtual:
        joined = {(session.pk, c.pk) for c in seated_clients(session)}
        if session.attendance_taken_at is not None:
            joined &= attended
        assert joined <= set(attested), session
    assert all(a.allowed for a in attested.values())  # the gate let every one of them in
    # Through attest_state (audited, by the member); one of them was travelling once.
    assert AuditEvent.objects.filter(action="scheduling.attestation.recorded").count() == len(
        attested
    )
    away = [a for a in attested.values() if a.state != a.client.state_of_residence]
    assert len(away) == 1
    # In-person sessions have none.
    assert not StateAttestation.objects.filter(session__modality=GroupModality.IN_PERSON)


def test_every_member_holding_a_place_answered_and_groups_show_several_trajectories(demo):
    places = Enrollment.objects.filter(status=EnrollmentStatus.ACTIVE)
    holders = set(places.values_list("client_id", flat=True))
    answered = set(
        Administration.objects.filter(status=AdministrationStatus.COMPLETED).values_list(
            "client_id", flat=True
        )
    )
    assert holders <= answered
    # The pulse goes only to those who came (planning reads the attendance).
    absent = set(
        Attendance.objects.filter(status__in=ABSENT_STATUSES).values_list("session_id", "client_id")
    )
    pulses = set(
        Administration.objects.filter(reason=Timing.AFTER_SESSION)
        .exclude(status=AdministrationStatus.CANCELLED)
        .values_list("session_id", "client_id")
    )
    assert absent
    assert not absent & pulses
    for spec in GROUPS:
        group = TherapyGroup.objects.get(name=spec.name)
        members = set(places.filter(group=group).values_list("client_id", flat=True))
        assert len(members) >= 4, spec.name
    # Not on track, both ways: one member reliably deteriorating, and a member with no
    # reliable improvement after the practice's number of sessions.
    deteriorated, stalled, improved = set(), set(), set()
    for client_id in holders:
        for trajectory in client_trajectories(client_id):
            if trajectory.instrument.code != "phq9" or trajectory.not_on_track is None:
                continue
            if trajectory.not_on_track.deteriorated:
                deteriorated.add(client_id)
            if trajectory.not_on_track.no_improvement:
                stalled.add(client_id)
            if len(trajectory.points) >= 2 and trajectory.points[-1].total < (
                trajectory.points[0].total
            ):
                improved.add(client_id)
    assert len(deteriorated) == 1
    assert len(stalled) >= 1
    assert len(improved) > len(holders) // 2


def test_the_group_dashboard_charts_attendance_and_several_members(demo):
    from kindred.accounts.models import User

    facilitator = User.objects.get(email="facilitator@demo.example.test")
    group = TherapyGroup.objects.get(name=GROUPS[0].name)
    dashboard = group_dashboard(actor=facilitator, group_id=group.pk)
    assert sum(s.attended for s in dashboard.attendance) > 0
    # Measured at least twice on an instrument: a change to show (the dashboard reads the
    # outcome summary, one line per member and instrument).
    charted = [m for m in dashboard.members if any(line.measured >= 2 for line in m.lines)]
    assert len(charted) >= 4
    # The pages: the dashboard, and the sheet still to take with the attested states.
    from django.urls import reverse

    from kindred.core.testing import enrol_totp, signed_in

    enrol_totp(facilitator)
    http = signed_in(facilitator)
    page = http.get(reverse("web:group_dashboard", kwargs={"group_id": group.pk}))
    assert page.status_code == 200
    untaken = GroupSession.objects.get(
        group=group, attendance_taken_at__isnull=True, ends_at__lte=timezone.now()
    )
    sheet = http.get(reverse("web:session_attendance", kwargs={"session_id": untaken.pk}))
    assert sheet.status_code == 200
    text = sheet.content.decode()
    assert text.count("— allowed") == len(seated_clients(untaken))
    assert "No state attested" not in text


def test_courses_are_chosen_group_by_group():
    kinds = demo_kinds_by_group([[1, 2, 3, 4, 5], [1, 6, 7, 8], [9], [5, 10, 11, 12]])
    assert kinds[5] == Kind.DETERIORATING
    assert Counter(kinds.values())[Kind.DETERIORATING] == 1
    assert [kinds[c] for c in (1, 2, 3, 4)] == [Kind.IMPROVING] * 3 + [Kind.FLAT]
    assert [kinds[c] for c in (6, 7, 8)] == [Kind.IMPROVING, Kind.IMPROVING, Kind.FLAT]
    assert kinds[9] == Kind.IMPROVING
    assert [kinds[c] for c in (10, 11, 12)] == [Kind.IMPROVING, Kind.IMPROVING, Kind.FLAT]
    assert demo_kinds_by_group([]) == {}
