"""Enrollment lifecycle: invited → active → graduated / withdrew / removed, capacity,
eligibility and overlapping sessions."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kindred.audit.models import AuditEvent
from kindred.clients.services import client_archive
from kindred.core.errors import Conflict, InvalidState, NotPermitted, ValidationFailed
from kindred.groups import services
from kindred.groups.models import Enrollment, EnrollmentStatus
from kindred.groups.tests.factories import enrol, make_group, next_weekday, person
from kindred.intake.tests.screening_support import admit


def test_invite_takes_a_seat_and_activate_joins(cast):
    group = make_group(cast)
    ana = person("Ana")
    enrollment = services.enrollment_invite(actor=cast.coordinator, group=group, client=ana)
    assert enrollment.status == EnrollmentStatus.INVITED
    assert services.seats_taken(group) == 1
    # Joining waits for a screening that admits them (intake/admission.py)...
    with pytest.raises(InvalidState, match="no screening has admitted them"):
        services.enrollment_activate(actor=cast.coordinator, enrollment=enrollment)
    admit(ana, group)  # ...and the admit then activates the place.
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert enrollment.activated_at is not None
    assert list(
        AuditEvent.objects.filter(object_type="groups.enrollment", client_id=ana.pk)
        .order_by("id")
        .values_list("action", "client_id")
    ) == [("groups.enrollment.invited", ana.pk), ("groups.enrollment.activated", ana.pk)]


def test_the_last_seat_goes_once(cast):
    group = make_group(cast, min_size=1, max_size=2)
    enrol(cast, group, person("Ana"))
    enrol(cast, group, person("Ben"), active=False)  # invited still holds a seat
    cy = person("Cy")
    with pytest.raises(Conflict) as exc:
        services.enrollment_invite(actor=cast.coordinator, group=group, client=cy)
    assert exc.value.message == "The group is full."
    assert not Enrollment.objects.filter(client=cy).exists()


def test_an_ended_place_frees_its_seat(cast):
    group = make_group(cast, min_size=1, max_size=1)
    enrollment = enrol(cast, group, person("Ana"))
    services.enrollment_withdraw(actor=cast.coordinator, enrollment=enrollment, reason="Moved")
    enrol(cast, group, person("Ben"))


def test_someone_holds_one_place_per_group(cast):
    with pytest.raises(Conflict) as exc:
        services.enrollment_invite(actor=cast.coordinator, group=cast.group_a, client=cast.client)
    assert exc.value.message == "Avery Member already has a place in this group."
    # After leaving, they may be invited again.
    enrollment = Enrollment.objects.get(group=cast.group_a, client=cast.client)
    services.enrollment_withdraw(actor=cast.coordinator, enrollment=enrollment, reason="Break")
    services.enrollment_invite(actor=cast.coordinator, group=cast.group_a, client=cast.client)


def test_an_archived_client_cannot_be_enrolled(cast):
    ana = person("Ana")
    client_archive(actor=cast.coordinator, client=ana, reason="Moved away")
    with pytest.raises(InvalidState) as exc:
        services.enrollment_invite(actor=cast.coordinator, group=make_group(cast), client=ana)
    assert "archived" in exc.value.message
    assert not Enrollment.objects.filter(client=ana).exists()


def test_age_range_is_checked_against_date_of_birth(cast):
    start = next_weekday(1)
    group = make_group(cast, min_age=18, max_age=25, start_date=start)
    teen = person("Tia", born=date(start.year - 16, 1, 1))
    older = person("Olu", born=date(start.year - 40, 1, 1))
    young_adult = person("Yan", born=date(start.year - 20, 1, 1))
    with pytest.raises(ValidationFailed) as exc:
        services.enrollment_invite(actor=cast.coordinator, group=group, client=teen)
    assert exc.value.errors["client"] == [
        "This group is for people aged 18 and over; Tia Example is 16."
    ]
    with pytest.raises(ValidationFailed) as exc:
        services.enrollment_invite(actor=cast.coordinator, group=group, client=older)
    assert "up to 25" in exc.value.errors["client"][0]
    services.enrollment_invite(actor=cast.coordinator, group=group, client=young_adult)
    assert Enrollment.objects.filter(group=group).count() == 1


def test_a_member_cannot_hold_two_overlapping_sessions(cast):
    # Group A meets weekly at 18:00 Chicago for 90 minutes; this group meets on the same
    # weekday at 19:00.
    a_next = cast.group_a.sessions.filter(starts_at__gt=timezone.now()).order_by("starts_at")[0]
    local = a_next.starts_at.astimezone(ZoneInfo("America/Chicago"))
    clash = make_group(
        cast,
        name="Evening Skills",
        start_date=local.date(),
        start_time=time(19, 0),
        timezone="America/Chicago",
    )
    with pytest.raises(Conflict) as exc:
        services.enrollment_invite(actor=cast.coordinator, group=clash, client=cast.client)
    assert exc.value.message.startswith(
        "Avery Member is in Steady Ground, which meets at the same time"
    )
    assert exc.value.field == "client"
    assert not Enrollment.objects.filter(group=clash).exists()
    # Someone not in group A may join.
    services.enrollment_invite(actor=cast.coordinator, group=clash, client=cast.outsider_client)
    # A group that meets right after group A ends is fine.
    later = make_group(cast, name="Late Circle", start_date=local.date(), start_time=time(19, 30))
    services.enrollment_invite(actor=cast.coordinator, group=later, client=cast.client)


def test_the_overlap_check_is_one_query(cast, django_assert_num_queries):
    group = make_group(cast, start_time=time(9, 0))
    with django_assert_num_queries(1):
        services._check_no_overlap(group, cast.client, now=timezone.now())


@pytest.mark.parametrize("end", ["enrollment_withdraw", "enrollment_remove"])
def test_withdraw_and_remove_need_a_reason(cast, end):
    enrollment = Enrollment.objects.get(group=cast.group_a, client=cast.client)
    with pytest.raises(ValidationFailed) as exc:
        getattr(services, end)(actor=cast.coordinator, enrollment=enrollment, reason="  ")
    assert exc.value.errors == {"reason": ["Say why, in a few words."]}
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
    getattr(services, end)(
        actor=cast.coordinator, enrollment=enrollment, reason="Started individual therapy"
    )
    enrollment.refresh_from_db()
    assert enrollment.status in (EnrollmentStatus.WITHDREW, EnrollmentStatus.REMOVED)
    assert enrollment.end_reason == "Started individual therapy"
    assert enrollment.ended_at is not None
    # The reason may be clinical: never in the audit log.
    event = AuditEvent.objects.filter(object_type="groups.enrollment").latest("id")
    assert "individual" not in str(event.detail)


def test_graduation_is_for_active_members_with_dates(cast):
    group = make_group(cast)
    invited = enrol(cast, group, person("Ana"), active=False)
    with pytest.raises(InvalidState):
        services.enrollment_graduate(actor=cast.coordinator, enrollment=invited)
    enrollment = Enrollment.objects.get(group=cast.group_a, client=cast.client)
    with pytest.raises(ValidationFailed) as exc:
        services.enrollment_graduate(
            actor=cast.coordinator,
            enrollment=enrollment,
            ended_at=timezone.now() + timedelta(days=3),
        )
    assert exc.value.errors == {"date": ["This date is in the future."]}
    with pytest.raises(ValidationFailed) as exc:
        services.enrollment_graduate(
            actor=cast.coordinator,
            enrollment=enrollment,
            ended_at=datetime(2001, 1, 1, tzinfo=timezone.get_current_timezone()),
        )
    assert exc.value.errors["date"][0].startswith("This must be on or after")
    when = timezone.now()
    services.enrollment_graduate(actor=cast.coordinator, enrollment=enrollment, ended_at=when)
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.ended_at) == (EnrollmentStatus.GRADUATED, when)
    with pytest.raises(InvalidState) as ended:
        services.enrollment_remove(actor=cast.coordinator, enrollment=enrollment, reason="x")
    assert ended.value.message == "This place has already ended."


def test_only_invited_places_can_be_activated(cast):
    enrollment = Enrollment.objects.get(group=cast.group_a, client=cast.client)
    with pytest.raises(InvalidState):
        services.enrollment_activate(actor=cast.coordinator, enrollment=enrollment)


def test_ended_groups_take_no_one(cast):
    group = make_group(cast, status="active")
    services.group_cancel(actor=cast.coordinator, group=group)
    with pytest.raises(InvalidState):
        services.enrollment_invite(actor=cast.coordinator, group=group, client=person("Ana"))


@pytest.mark.parametrize("who", ["facilitator", "supervisor", "billing", "member"])
def test_only_group_managers_change_enrollments(cast, who):
    actor = getattr(cast, who)
    enrollment = Enrollment.objects.get(group=cast.group_a, client=cast.client)
    with pytest.raises(NotPermitted):
        services.enrollment_invite(actor=actor, group=cast.group_a, client=person("Ana"))
    with pytest.raises(NotPermitted):
        services.enrollment_remove(actor=actor, enrollment=enrollment, reason="x")
