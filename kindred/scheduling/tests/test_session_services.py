"""One session at a time: cancel, reschedule, move online, substitute facilitator."""

from datetime import time, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from kindred.audit.models import AuditEvent
from kindred.core.errors import Conflict, InvalidState, NotPermitted, ValidationFailed
from kindred.groups.models import NoticeEmail, TherapyGroup
from kindred.groups.tasks import send_notice_email
from kindred.groups.tests.factories import chicago, make_group, room
from kindred.notifications.models import Notification
from kindred.scheduling import session_services as ops
from kindred.scheduling.models import GroupSession, SessionStatus


def upcoming(group: TherapyGroup, n: int = 0) -> GroupSession:
    return group.sessions.filter(starts_at__gt=timezone.now()).order_by("starts_at")[n]


def test_cancel_tells_members_and_facilitators_without_details(
    cast, django_capture_on_commit_callbacks
):
    session = upcoming(cast.group_a)
    with django_capture_on_commit_callbacks(execute=True):
        ops.session_cancel(actor=cast.coordinator, session=session, reason="Snow storm")
    session.refresh_from_db()
    assert (session.status, session.cancel_reason, session.sequence) == (
        "cancelled",
        "Snow storm",
        1,
    )
    told = set(Notification.objects.filter(kind="session_cancelled").values_list("user", flat=True))
    assert told == {cast.member.pk, cast.member_b.pk, cast.facilitator.pk}
    assert len(mail.outbox) == 3
    message = mail.outbox[0]
    assert message.subject == "A session of Steady Ground was cancelled"
    assert "Snow storm" not in message.body  # the reason is for signed-in eyes only
    assert "sign in to Kindred for the details" in message.body
    assert AuditEvent.objects.filter(action="scheduling.session.cancelled").count() == 1


def test_the_notice_email_goes_once_even_if_the_task_runs_twice(cast):
    session = upcoming(cast.group_a)
    ops.session_cancel(actor=cast.coordinator, session=session, reason="Ill")
    note = Notification.objects.filter(kind="session_cancelled", user=cast.member).get()
    mail.outbox.clear()
    assert send_notice_email.call(note.pk) is True
    assert send_notice_email.call(note.pk) is False
    assert len(mail.outbox) == 1
    assert NoticeEmail.objects.filter(notification=note).count() == 1


def test_cancel_needs_a_reason_and_an_upcoming_session(cast):
    session = upcoming(cast.group_a)
    with pytest.raises(ValidationFailed) as exc:
        ops.session_cancel(actor=cast.coordinator, session=session, reason=" ")
    assert "reason" in exc.value.errors
    past = cast.group_a.sessions.filter(starts_at__lt=timezone.now()).first()
    with pytest.raises(InvalidState):
        ops.session_cancel(actor=cast.coordinator, session=past, reason="Late")
    ops.session_cancel(actor=cast.coordinator, session=session, reason="Ill")
    with pytest.raises(InvalidState):
        ops.session_cancel(actor=cast.coordinator, session=session, reason="Again")
    assert Notification.objects.filter(kind="session_cancelled").count() == 3


def test_reschedule_keeps_the_length_and_the_slot(cast):
    session = upcoming(cast.group_a)
    original = session.original_starts_at
    new_start = session.starts_at + timedelta(days=1, hours=1)
    ops.session_reschedule(actor=cast.coordinator, session=session, starts_at=new_start)
    session.refresh_from_db()
    assert session.starts_at == new_start
    assert session.ends_at == new_start + timedelta(minutes=90)
    assert session.original_starts_at == original
    assert session.is_rescheduled
    assert session.sequence == 1
    assert Notification.objects.filter(kind="session_rescheduled").count() == 3


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        (
            timedelta(days=2),
            timedelta(days=2, minutes=-30),
            "ends_at",
            "The end must be after the start.",
        ),
        (timedelta(days=2), timedelta(days=2), "ends_at", "The end must be after the start."),
        (timedelta(days=2), timedelta(days=2, hours=9), "ends_at", "from 15 minutes to 8 hours"),
        (timedelta(days=-2), None, "starts_at", "Choose a time in the future."),
    ],
)
def test_reschedule_bad_input_saves_nothing(cast, start, end, field, message):
    session = upcoming(cast.group_a)
    now = timezone.now()
    before = (session.starts_at, session.ends_at, AuditEvent.objects.count())
    with pytest.raises(ValidationFailed) as exc:
        ops.session_reschedule(
            actor=cast.coordinator,
            session=session,
            starts_at=now + start,
            ends_at=now + end if end is not None else None,
        )
    assert message in exc.value.errors[field][0]
    session.refresh_from_db()
    assert (session.starts_at, session.ends_at, AuditEvent.objects.count()) == before


def test_a_room_cannot_hold_two_sessions_at_once(cast):
    loop = chicago()
    room_2 = room(loop, "Room 2")
    grief = make_group(cast, name="Grief Circle", modality="in_person", location=loop, room=room_2)
    skills = make_group(
        cast,
        name="Anxiety Skills",
        modality="in_person",
        location=loop,
        room=room_2,
        start_time=time(20, 0),
    )
    target = upcoming(grief)
    session = upcoming(skills)
    before = (session.starts_at, session.sequence)
    with pytest.raises(Conflict) as exc:
        ops.session_reschedule(
            actor=cast.coordinator,
            session=session,
            starts_at=target.starts_at + timedelta(minutes=30),
        )
    assert exc.value.message.startswith("Room 2 is booked by Grief Circle at that time")
    session.refresh_from_db()
    assert (session.starts_at, session.sequence) == before
    # Once the other session is cancelled, the room is free.
    ops.session_cancel(actor=cast.coordinator, session=target, reason="Moved")
    ops.session_reschedule(
        actor=cast.coordinator, session=session, starts_at=target.starts_at + timedelta(minutes=30)
    )


def test_moving_online_frees_the_room(cast):
    loop = chicago()
    oak = room(loop, "Oak")
    group = make_group(cast, modality="hybrid", location=loop, room=oak)
    session = upcoming(group)
    ops.session_move_online(actor=cast.coordinator, session=session)
    session.refresh_from_db()
    assert (session.modality, session.location, session.room, session.sequence) == (
        "virtual",
        None,
        None,
        1,
    )
    with pytest.raises(InvalidState):
        ops.session_move_online(actor=cast.coordinator, session=session)


def test_a_substitute_for_an_in_person_session_needs_the_states_license(cast):
    loop = chicago()
    group = make_group(cast, modality="in_person", location=loop)
    session = upcoming(group)
    with pytest.raises(ValidationFailed) as exc:
        ops.session_set_substitute(
            actor=cast.coordinator, session=session, substitute=cast.clinician_b
        )
    assert exc.value.errors["substitute_facilitator"][0].startswith(
        "Flint Facilitator cannot practise in Illinois"
    )
    session.refresh_from_db()
    assert session.substitute_facilitator is None
    result = ops.session_set_substitute(
        actor=cast.coordinator, session=session, substitute=cast.supervisor_clinician
    )
    assert result.warnings == []
    session.refresh_from_db()
    assert session.substitute_facilitator == cast.supervisor_clinician


def test_a_virtual_substitute_is_warned_about_members_states(cast):
    session = upcoming(cast.group_a)  # members live in IL and KS
    result = ops.session_set_substitute(
        actor=cast.coordinator, session=session, substitute=cast.clinician_b
    )
    [warning] = result.warnings
    assert "Flint Facilitator is not licensed for Illinois, Kansas" in warning
    session.refresh_from_db()
    assert session.substitute_facilitator == cast.clinician_b
    # The substitute is told, and can see the group through the session.
    assert Notification.objects.filter(
        kind="session_facilitator_changed", user=cast.facilitator_b
    ).exists()
    from kindred.groups.access import visible_groups

    assert cast.group_a in visible_groups(cast.facilitator_b)
    # Clearing goes back to the lead.
    ops.session_set_substitute(actor=cast.coordinator, session=session, substitute=None)
    session.refresh_from_db()
    assert session.substitute_facilitator is None
    assert list(
        AuditEvent.objects.filter(object_type="scheduling.groupsession")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["scheduling.session.substitute_set", "scheduling.session.substitute_cleared"]


def test_the_lead_cannot_substitute_for_themselves(cast):
    with pytest.raises(ValidationFailed) as exc:
        ops.session_set_substitute(
            actor=cast.coordinator, session=upcoming(cast.group_a), substitute=cast.clinician
        )
    assert exc.value.errors["substitute_facilitator"] == [
        "Fern Facilitator already leads this group."
    ]


@pytest.mark.parametrize("who", ["facilitator", "supervisor", "billing", "member"])
def test_only_group_managers_change_sessions(cast, who):
    actor = getattr(cast, who)
    session = upcoming(cast.group_a)
    with pytest.raises(NotPermitted):
        ops.session_cancel(actor=actor, session=session, reason="x")
    with pytest.raises(NotPermitted):
        ops.session_reschedule(
            actor=actor, session=session, starts_at=session.starts_at + timedelta(hours=1)
        )
    with pytest.raises(NotPermitted):
        ops.session_move_online(actor=actor, session=session)
    with pytest.raises(NotPermitted):
        ops.session_set_substitute(actor=actor, session=session, substitute=None)
    assert GroupSession.objects.get(pk=session.pk).status == SessionStatus.SCHEDULED


def test_notifications_link_members_to_their_sessions_and_staff_to_the_group(cast):
    session = upcoming(cast.group_a)
    ops.session_cancel(actor=cast.coordinator, session=session, reason="Ill")
    links = dict(Notification.objects.filter(kind="session_cancelled").values_list("user", "url"))
    assert links[cast.member.pk] == "/my/sessions/"
    assert links[cast.facilitator.pk] == f"/groups/{cast.group_a.pk}/"
