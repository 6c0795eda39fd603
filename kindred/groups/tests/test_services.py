"""Group services: create, edit, status changes — every bad input gives a specific
message beside its field and saves nothing."""

from datetime import date, time, timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from kindred.audit.models import AuditEvent
from kindred.core.errors import Conflict, InvalidState, NotPermitted, ValidationFailed
from kindred.groups import services
from kindred.groups.models import GroupStatus, TherapyGroup
from kindred.groups.tests.factories import (
    chicago,
    enrol,
    group_kwargs,
    make_group,
    next_weekday,
    person,
    room,
    tampa,
)
from kindred.notifications.models import Notification
from kindred.practice.services import clinician_create, license_create
from kindred.scheduling import generation
from kindred.scheduling.models import GroupSession, SessionStatus


def snapshot() -> tuple[int, int, int]:
    return (TherapyGroup.objects.count(), GroupSession.objects.count(), AuditEvent.objects.count())


def test_create_generates_every_session_of_a_closed_group(cast):
    group = make_group(cast)
    sessions = list(group.sessions.order_by("starts_at"))
    assert len(sessions) == 8
    first = sessions[0].starts_at.astimezone(timezone.get_current_timezone())
    assert sessions[0].original_starts_at == sessions[0].starts_at
    assert {s.modality for s in sessions} == {"virtual"}
    assert {s.ends_at - s.starts_at for s in sessions} == {timedelta(minutes=90)}
    assert first.date() >= group.start_date - timedelta(days=1)
    assert group.slug == "tuesday-grief-circle"
    assert group.created_by == cast.coordinator
    event = AuditEvent.objects.get(action="groups.group.created", object_id=str(group.pk))
    assert event.detail == {"sessions_created": 8}


def test_an_open_group_is_generated_up_to_the_horizon(cast):
    group = make_group(cast, format="open", recurrence="FREQ=WEEKLY")
    count = group.sessions.count()
    assert 25 <= count <= 27
    assert group.sessions_generated_until is not None
    assert group.sessions_generated_until > timezone.now() + timedelta(weeks=25)


def test_a_second_group_with_the_same_name_gets_its_own_address(cast):
    assert make_group(cast).slug == "tuesday-grief-circle"
    assert make_group(cast, start_time=time(10)).slug == "tuesday-grief-circle-2"


def test_in_person_group_in_a_room(cast):
    loop = chicago()
    oak = room(loop)
    group = make_group(cast, modality="in_person", location=loop, room=oak)
    assert set(group.sessions.values_list("room", flat=True)) == {oak.pk}
    assert set(group.sessions.values_list("location", flat=True)) == {loop.pk}


def test_virtual_groups_drop_a_stale_location(cast):
    loop = chicago()
    group = make_group(cast, modality="virtual", location=loop, room=room(loop))
    assert group.location is None
    assert group.room is None


BAD_INPUT: list[tuple[dict[str, Any], str, str]] = [
    ({"name": "  "}, "name", "Give the group a name."),
    ({"description": ""}, "description", "Describe the group"),
    ({"recurrence": ""}, "recurrence", "Enter a recurrence rule"),
    ({"recurrence": "FREQ=SOMETIMES"}, "recurrence", "not a valid recurrence rule"),
    ({"recurrence": "FREQ=WEEKLY;UNTIL=20000101"}, "recurrence", "gives no sessions"),
    ({"recurrence": "FREQ=WEEKLY"}, "recurrence", "A closed group needs an end"),
    ({"recurrence": "FREQ=HOURLY;COUNT=3"}, "recurrence", "not more often"),
    ({"recurrence": "FREQ=DAILY;COUNT=900"}, "recurrence", "more than 520 sessions"),
    ({"min_size": 8, "max_size": 6}, "max_size", "must be at least the minimum (8)"),
    ({"max_size": 60}, "max_size", "from 1 to 50"),
    ({"min_size": 0}, "min_size", "at least one member"),
    ({"min_age": 40, "max_age": 30}, "max_age", "must be at least the youngest (40)"),
    ({"min_age": 150}, "min_age", "from 0 to 120"),
    ({"session_minutes": 5}, "session_minutes", "from 15 to 480 minutes"),
    ({"timezone": "Mars/Olympus"}, "timezone", "not a time zone name"),
    ({"start_date": date(2020, 1, 1)}, "start_date", "cannot be in the past"),
    ({"external_video_link": "http://video.example.test/x"}, "external_video_link", "https://"),
    ({"fee_cents": 2_000_000}, "fee_cents", "from $0 to $10,000"),
    ({"modality": "in_person"}, "location", "needs a location"),
    ({"modality": "hybrid"}, "location", "needs a location"),
    ({"status": "completed"}, "status", "either forming or active"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), BAD_INPUT)
def test_bad_input_is_explained_beside_its_field_and_nothing_is_saved(
    cast, overrides, field, message
):
    before = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        make_group(cast, **overrides)
    assert field in exc.value.errors, exc.value.errors
    assert message in " ".join(exc.value.errors[field])
    assert snapshot() == before


def test_a_room_must_be_at_the_location(cast):
    loop = chicago()
    other = room(chicago("Evanston Office"))
    before = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        make_group(cast, modality="in_person", location=loop, room=other)
    assert exc.value.errors["room"] == ["This room is not at Loop Office."]
    assert snapshot() == before


def test_the_time_zone_must_be_the_locations(cast):
    with pytest.raises(ValidationFailed) as exc:
        make_group(cast, modality="in_person", location=tampa(), lead_facilitator=cast.clinician_b)
    assert "America/New_York" in exc.value.errors["timezone"][0]


def test_in_person_facilitators_need_a_license_for_the_locations_state(cast):
    loop = chicago()
    before = snapshot()
    # Flint (facilitator_b) is licensed in Florida only; the group meets in Chicago.
    with pytest.raises(ValidationFailed) as exc:
        make_group(cast, modality="in_person", location=loop, lead_facilitator=cast.clinician_b)
    [message] = exc.value.errors["lead_facilitator"]
    assert message.startswith("Flint Facilitator cannot practise in Illinois on")
    assert "No license or compact privilege for Illinois." in message
    assert snapshot() == before
    # A co-facilitator without one is named beside the co-facilitators.
    with pytest.raises(ValidationFailed) as exc:
        make_group(
            cast,
            modality="hybrid",
            location=loop,
            lead_facilitator=cast.clinician,
            co_facilitators=[cast.clinician_b],
        )
    assert exc.value.errors["co_facilitators"][0].startswith("Flint Facilitator cannot practise")
    assert "lead_facilitator" not in exc.value.errors
    assert snapshot() == before


def test_a_license_that_has_not_started_by_the_start_date_does_not_count(cast):
    user = cast.billing  # any staff account can be given a clinician profile
    clinician = clinician_create(actor=None, user=user)
    start = next_weekday(1, weeks=2)
    license_create(
        actor=None,
        clinician=clinician,
        state="IL",
        license_type="LCPC",
        number="180-777",
        issued_on=start + timedelta(days=30),
        expires_on=start + timedelta(days=3000),
    )
    with pytest.raises(ValidationFailed) as exc:
        make_group(
            cast,
            modality="in_person",
            location=chicago(),
            lead_facilitator=clinician,
            start_date=start,
        )
    assert "is only valid from" in exc.value.errors["lead_facilitator"][0]


def test_virtual_groups_do_not_need_a_license_at_creation(cast):
    # The licensure gate decides at each session, from where each member is.
    group = make_group(cast, lead_facilitator=cast.clinician_b)
    assert group.pk


def test_two_groups_cannot_book_the_same_room_at_the_same_time(cast):
    loop = chicago()
    room_2 = room(loop, "Room 2")
    make_group(cast, name="Grief Circle", modality="in_person", location=loop, room=room_2)
    before = snapshot()
    with pytest.raises(Conflict) as exc:
        make_group(
            cast,
            name="Anxiety Skills",
            modality="in_person",
            location=loop,
            room=room_2,
            start_time=time(19, 0),  # overlaps the 18:00-19:30 session
        )
    assert exc.value.field == "room"
    assert exc.value.message.startswith("Room 2 is booked by Grief Circle at that time")
    assert snapshot() == before
    # Back to back is fine.
    make_group(
        cast,
        name="Anxiety Skills",
        modality="in_person",
        location=loop,
        room=room_2,
        start_time=time(19, 30),
    )


def test_only_group_managers_create_groups(cast):
    for who in ["facilitator", "facilitator_b", "supervisor", "billing", "member", "outsider"]:
        with pytest.raises(NotPermitted):
            services.group_create(actor=getattr(cast, who), **group_kwargs(cast))
    make_group(cast, actor=cast.admin)


# --- Editing -------------------------------------------------------------------------


def test_edit_records_the_changed_fields_only(cast):
    group = make_group(cast)
    services.group_update(actor=cast.coordinator, group=group, name="Grief Circle", max_size=9)
    event = AuditEvent.objects.filter(action="groups.group.updated").latest("id")
    assert event.detail["fields"] == ["max_size", "name"]
    group.refresh_from_db()
    assert (group.name, group.max_size) == ("Grief Circle", 9)
    # Nothing changed: no event.
    count = AuditEvent.objects.count()
    services.group_update(actor=cast.coordinator, group=group, name="Grief Circle")
    assert AuditEvent.objects.count() == count


def test_capacity_cannot_go_below_the_places_taken(cast):
    group = make_group(cast, min_size=1, max_size=4)
    for name in ["Ana", "Ben", "Cy"]:
        enrol(cast, group, person(name))
    with pytest.raises(ValidationFailed) as exc:
        services.group_update(actor=cast.coordinator, group=group, max_size=2)
    assert exc.value.errors["max_size"] == [
        "3 people already hold a place in this group; the maximum cannot be lower than that."
    ]
    group.refresh_from_db()
    assert group.max_size == 4
    services.group_update(actor=cast.coordinator, group=group, max_size=3)


def test_bad_edits_save_nothing(cast):
    group = make_group(cast)
    before = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        services.group_update(
            actor=cast.coordinator, group=group, name="New name", recurrence="FREQ=WEEKLY"
        )
    assert "recurrence" in exc.value.errors
    group.refresh_from_db()
    assert group.name == "Tuesday Grief Circle"
    assert snapshot() == before


def test_moving_a_group_to_a_room_moves_its_future_sessions(cast):
    loop = chicago()
    oak = room(loop, "Oak")
    group = make_group(cast)
    services.group_update(
        actor=cast.coordinator, group=group, modality="in_person", location=loop, room=oak
    )
    assert set(group.sessions.values_list("modality", "room", "sequence")) == {
        ("in_person", oak.pk, 1)
    }
    # Members and the facilitator were told, in app.
    assert Notification.objects.filter(kind="group_schedule_changed").count() == 1


def test_completed_and_cancelled_groups_cannot_be_edited(cast):
    group = make_group(cast, status="active")
    services.group_cancel(actor=cast.coordinator, group=group)
    with pytest.raises(InvalidState):
        services.group_update(actor=cast.coordinator, group=group, name="Again")


def test_members_of_another_group_are_told_nothing(cast):
    group = cast.group_a
    services.group_update(actor=cast.coordinator, group=group, session_minutes=60)
    told = set(
        Notification.objects.filter(kind="group_schedule_changed").values_list("user", flat=True)
    )
    assert told == {cast.member.pk, cast.member_b.pk, cast.facilitator.pk}


# --- Status ------------------------------------------------------------------------------


def test_pausing_cancels_the_future_and_resuming_brings_it_back(
    cast, django_capture_on_commit_callbacks
):
    group = cast.group_a
    now = timezone.now()
    future = group.sessions.filter(starts_at__gt=now)
    past_ids = set(group.sessions.filter(starts_at__lte=now).values_list("pk", flat=True))
    n_future = future.count()
    with django_capture_on_commit_callbacks(execute=True):
        services.group_pause(actor=cast.coordinator, group=group)
    assert group.status == GroupStatus.PAUSED
    assert set(future.values_list("status", "cancel_reason")) == {
        (SessionStatus.CANCELLED, generation.REASON_GROUP_PAUSED)
    }
    assert set(group.sessions.filter(pk__in=past_ids).values_list("status", flat=True)) <= {
        SessionStatus.SCHEDULED
    }
    # Members and the facilitator: in app and by email, without details.
    assert Notification.objects.filter(kind="group_paused").count() == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [cast.member.email, cast.member_b.email, cast.facilitator.email]
    )
    assert mail.outbox[0].subject == "Steady Ground is paused"
    assert "sign in to Kindred for the details" in mail.outbox[0].body

    services.group_activate(actor=cast.coordinator, group=group)
    assert group.status == GroupStatus.ACTIVE
    assert future.filter(status=SessionStatus.SCHEDULED).count() == n_future
    assert AuditEvent.objects.filter(action="groups.group.resumed").count() == 1


def test_a_session_cancelled_on_purpose_stays_cancelled_after_resuming(cast):
    from kindred.scheduling.session_services import session_cancel

    group = cast.group_a
    one = group.sessions.filter(starts_at__gt=timezone.now()).order_by("starts_at").last()
    session_cancel(actor=cast.coordinator, session=one, reason="Facilitator away")
    services.group_pause(actor=cast.coordinator, group=group)
    services.group_activate(actor=cast.coordinator, group=group)
    one.refresh_from_db()
    assert (one.status, one.cancel_reason) == (SessionStatus.CANCELLED, "Facilitator away")


@pytest.mark.parametrize(
    ("start", "action", "allowed"),
    [
        ("forming", "activate", True),
        ("forming", "pause", True),
        ("forming", "complete", False),
        ("forming", "cancel", True),
        ("active", "activate", False),
        ("active", "complete", True),
        ("completed", "activate", False),
        ("completed", "cancel", False),
        ("cancelled", "activate", False),
    ],
)
def test_status_changes(cast, start, action, allowed):
    group = make_group(cast)
    if start != "forming":
        TherapyGroup.objects.filter(pk=group.pk).update(status=start)
        group.refresh_from_db()
    change = getattr(services, f"group_{action}")
    if allowed:
        change(actor=cast.coordinator, group=group)
    else:
        before = snapshot()
        with pytest.raises(InvalidState):
            change(actor=cast.coordinator, group=group)
        assert snapshot() == before


def test_cancelling_a_group_cancels_its_future_sessions_with_notice(cast):
    group = cast.group_b
    future = group.sessions.filter(starts_at__gt=timezone.now())
    services.group_cancel(actor=cast.coordinator, group=group)
    assert set(future.values_list("status", flat=True)) == {SessionStatus.CANCELLED}
    assert set(
        Notification.objects.filter(kind="group_cancelled").values_list("user", flat=True)
    ) == {cast.outsider.pk, cast.facilitator_b.pk}


def test_only_group_managers_change_status(cast):
    for who in ["facilitator", "supervisor", "member"]:
        with pytest.raises(NotPermitted):
            services.group_pause(actor=getattr(cast, who), group=cast.group_a)
