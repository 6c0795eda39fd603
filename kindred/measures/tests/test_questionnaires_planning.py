"""Schedules and planning: defaults, windows, idempotence, and keeping open
questionnaires in step with sessions and places (time frozen with time_machine)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from kindred.core.errors import Conflict, NotPermitted, ValidationFailed
from kindred.core.testing import Cast
from kindred.groups.models import Enrollment
from kindred.groups.services import (
    enrollment_graduate,
    enrollment_withdraw,
    group_activate,
    group_pause,
)
from kindred.measures import planning
from kindred.measures.models import (
    Administration,
    AdministrationStatus,
    MeasurementSchedule,
    Timing,
)
from kindred.measures.schedules import (
    schedule_create,
    schedule_update,
    schedules_apply_defaults,
)
from kindred.measures.tests.questionnaire_support import (
    schedule,
    sessions_a,
    upcoming_a,
    with_defaults,
)
from kindred.scheduling import session_services
from kindred.scheduling.models import Attendance, AttendanceStatus, GroupSession


def upcoming(cast: Cast) -> list[GroupSession]:
    return upcoming_a(cast)


def codes(rows: Iterable[Administration]) -> list[tuple[str, str]]:
    return sorted((a.instrument.code, a.reason) for a in rows)


# --- Schedules ---------------------------------------------------------------------------


def test_new_groups_get_the_defaults_once(cast, builtin_instruments):
    created = schedules_apply_defaults()
    assert created == 10  # five per group, two live groups
    rows = MeasurementSchedule.objects.filter(group=cast.group_a)
    assert sorted((s.instrument.code, s.timing, s.every_n) for s in rows) == [
        ("gad7", "every_nth", 4),
        ("gad7", "intake", None),
        ("phq9", "every_nth", 4),
        ("phq9", "intake", None),
        ("pulse", "after_session", None),
    ]
    assert schedules_apply_defaults() == 0


def test_a_group_whose_questionnaires_were_turned_off_keeps_them_off(cast, builtin_instruments):
    with_defaults(cast, builtin_instruments)
    for row in MeasurementSchedule.objects.filter(group=cast.group_a):
        schedule_update(actor=cast.coordinator, schedule=row, is_active=False)
    assert schedules_apply_defaults() == 0
    assert not MeasurementSchedule.objects.filter(group=cast.group_a, is_active=True).exists()


def test_without_instruments_there_are_no_defaults(cast):
    assert schedules_apply_defaults() == 0


def test_facilitators_and_managers_change_schedules_others_may_not(cast, builtin_instruments):
    who5 = builtin_instruments.who5
    made = schedule_create(
        actor=cast.facilitator, group=cast.group_a, instrument=who5, timing=Timing.BEFORE_SESSION
    )
    assert made.is_active
    for outsider in (cast.facilitator_b, cast.supervisor, cast.billing, cast.member):
        with pytest.raises(NotPermitted):
            schedule_create(
                actor=outsider,
                group=cast.group_a,
                instrument=builtin_instruments.pcl5,
                timing=Timing.GRADUATION,
            )
    assert not MeasurementSchedule.objects.filter(instrument=builtin_instruments.pcl5).exists()
    schedule_create(
        actor=cast.coordinator,
        group=cast.group_a,
        instrument=builtin_instruments.pcl5,
        timing=Timing.GRADUATION,
    )


@pytest.mark.parametrize(
    ("timing", "every_n", "field"),
    [
        ("every_nth", None, "every_n"),
        ("every_nth", 1, "every_n"),
        ("every_nth", 53, "every_n"),
        ("adhoc", None, "timing"),
        ("sometimes", None, "timing"),
    ],
)
def test_bad_schedules_are_refused_and_nothing_is_saved(
    cast, builtin_instruments, timing, every_n, field
):
    with pytest.raises(ValidationFailed) as caught:
        schedule_create(
            actor=cast.facilitator,
            group=cast.group_a,
            instrument=builtin_instruments.who5,
            timing=timing,
            every_n=every_n,
        )
    assert field in caught.value.errors
    assert not MeasurementSchedule.objects.exists()


def test_a_duplicate_or_overlapping_schedule_is_a_conflict(cast, builtin_instruments):
    with_defaults(cast, builtin_instruments)
    phq9 = builtin_instruments.phq9
    with pytest.raises(Conflict):
        schedule_create(
            actor=cast.facilitator, group=cast.group_a, instrument=phq9, timing="intake"
        )
    with pytest.raises(Conflict, match="turn that off first"):
        schedule_create(
            actor=cast.facilitator, group=cast.group_a, instrument=phq9, timing="before_session"
        )
    assert MeasurementSchedule.objects.filter(group=cast.group_a).count() == 5


def test_turning_a_schedule_back_on_reuses_its_row(cast, builtin_instruments):
    with_defaults(cast, builtin_instruments)
    row = MeasurementSchedule.objects.get(
        group=cast.group_a, timing="every_nth", instrument__code="phq9"
    )
    schedule_update(actor=cast.facilitator, schedule=row, is_active=False)
    again = schedule_create(
        actor=cast.facilitator,
        group=cast.group_a,
        instrument=builtin_instruments.phq9,
        timing="every_nth",
        every_n=3,
    )
    assert again.pk == row.pk
    assert (again.is_active, again.every_n) == (True, 3)


def test_an_inactive_instrument_cannot_be_scheduled(cast, builtin_instruments):
    who5 = builtin_instruments.who5
    who5.is_active = False
    who5.save(update_fields=["is_active"])
    with pytest.raises(ValidationFailed):
        schedule_create(
            actor=cast.facilitator, group=cast.group_a, instrument=who5, timing="intake"
        )


# --- Windows -------------------------------------------------------------------------------


def test_windows_follow_the_session():
    start = timezone.now().replace(microsecond=0)
    end = start + timedelta(minutes=90)
    before = planning.session_window("before_session", start, end)
    assert (before.available_from, before.due_at, before.closes_at) == (
        start - timedelta(hours=48),
        start,
        end,
    )
    after = planning.session_window("after_session", start, end)
    assert (after.available_from, after.closes_at) == (end, end + timedelta(hours=72))
    intake = planning.intake_window(start, start + timedelta(days=3))
    assert (intake.due_at, intake.closes_at) == (
        start + timedelta(days=3),
        start + timedelta(days=14),
    )
    assert planning.intake_window(start, start + timedelta(days=20)).due_at is None


def test_session_numbers_count_from_the_member_s_first_session():
    base = timezone.now()
    starts = [base + timedelta(days=7 * k) for k in range(6)]
    offered = base + timedelta(days=3)
    assert planning.session_number_for_member(starts, offered, starts[1]) == 1
    assert planning.session_number_for_member(starts, offered, starts[4]) == 4
    assert planning.session_number_for_member(starts, offered, starts[0]) == 0


# --- Planning ------------------------------------------------------------------------------


def test_intake_is_planned_once_for_members_with_an_account(cast, builtin_instruments):
    with_defaults(cast, builtin_instruments)
    created = planning.plan_intake()
    assert created == 6  # PHQ-9 and GAD-7 for member, member_b (group A) and outsider (B)
    assert planning.plan_intake() == 0
    rows = Administration.objects.filter(client=cast.client)
    assert codes(rows) == [("gad7", "intake"), ("phq9", "intake")]
    enrollment = Enrollment.objects.get(client=cast.client, group=cast.group_a)
    first = upcoming(cast)[0]
    for row in rows:
        assert row.available_from == enrollment.invited_at
        assert row.closes_at == enrollment.invited_at + timedelta(days=14)
        assert row.due_at == first.starts_at
        assert row.instrument_version == row.instrument.version
        assert row.status == AdministrationStatus.PENDING


def test_intake_is_not_planned_for_places_offered_long_ago(cast, builtin_instruments):
    with_defaults(cast, builtin_instruments)
    with time_machine.travel(timezone.now() + timedelta(days=15), tick=False):
        assert planning.plan_intake() == 0


def test_every_fourth_session_and_idempotence(cast, builtin_instruments):
    with_defaults(cast, builtin_instruments)
    coming = upcoming(cast)
    fourth = coming[3]
    with time_machine.travel(fourth.starts_at - timedelta(days=3), tick=False):
        created = planning.plan_sessions()
        again = planning.plan_sessions()
    assert again == 0
    assert created == Administration.objects.count()
    rows = Administration.objects.filter(group=cast.group_a, reason=Timing.EVERY_NTH_SESSION)
    assert rows.count() == 4  # PHQ-9 and GAD-7 for two members
    assert {a.session_id for a in rows} == {fourth.pk}
    assert {a.client_id for a in rows} == {cast.client.pk, cast.client_b.pk}
    row = rows.filter(instrument__code="phq9").first()
    assert row is not None
    assert (row.available_from, row.due_at, row.closes_at) == (
        fourth.starts_at - timedelta(hours=48),
        fourth.starts_at,
        fourth.ends_at,
    )
    assert row.reason == Timing.EVERY_NTH_SESSION


def test_the_pulse_follows_each_session_for_those_who_were_there(cast, builtin_instruments):
    with_defaults(cast, builtin_instruments)
    first = upcoming(cast)[0]
    with time_machine.travel(first.ends_at + timedelta(minutes=5), tick=False):
        Attendance.objects.create(
            session=first, client=cast.client_b, status=AttendanceStatus.NO_SHOW
        )
        planning.plan_sessions()
    pulses = Administration.objects.filter(reason=Timing.AFTER_SESSION, session=first)
    assert [(a.client_id, a.session_id) for a in pulses] == [(cast.client.pk, first.pk)]
    pulse = pulses[0]
    assert (pulse.available_from, pulse.closes_at) == (
        first.ends_at,
        first.ends_at + timedelta(hours=72),
    )
    before = Administration.objects.filter(session=first).count()
    with time_machine.travel(first.ends_at + timedelta(hours=73), tick=False):
        planning.plan_sessions()
    assert Administration.objects.filter(session=first).count() == before  # window closed


def test_a_before_every_session_schedule(cast, builtin_instruments):
    schedule(cast, builtin_instruments.who5, Timing.BEFORE_SESSION)
    coming = upcoming(cast)
    with time_machine.travel(coming[0].starts_at - timedelta(hours=1), tick=False):
        planning.plan_sessions()
    sessions = set(Administration.objects.values_list("session_id", flat=True))
    # Sessions starting within a week: the next one (and the one after, when a week away).
    assert coming[0].pk in sessions
    assert all(
        s.starts_at <= coming[0].starts_at + timedelta(days=7) for s in coming if s.pk in sessions
    )


def test_plan_measures_command_is_idempotent(cast, builtin_instruments, capsys):
    builtin_instruments.phq9  # noqa: B018 - the instruments exist
    call_command("plan_measures")
    first = Administration.objects.count()
    call_command("plan_measures")
    assert Administration.objects.count() == first > 0
    assert "default schedules 0" in capsys.readouterr().out.splitlines()[-1]


# --- Keeping in step ---------------------------------------------------------------------------


def _plan_fourth(cast: Cast) -> tuple[GroupSession, datetime]:
    fourth = upcoming(cast)[3]
    moment = fourth.starts_at - timedelta(days=3)
    with time_machine.travel(moment, tick=False):
        planning.plan_sessions()
    return fourth, moment


def test_a_cancelled_session_cancels_its_questionnaires_and_a_resumed_group_brings_them_back(
    cast, builtin_instruments
):
    with_defaults(cast, builtin_instruments)
    fourth, moment = _plan_fourth(cast)
    with time_machine.travel(moment, tick=False):
        group_pause(actor=cast.coordinator, group=cast.group_a)
        planning.reconcile()
        assert set(
            Administration.objects.filter(session=fourth).values_list("status", flat=True)
        ) == {"cancelled"}
        group_activate(actor=cast.coordinator, group=cast.group_a)
        result = planning.reconcile()
    assert result.restored == 6  # PHQ-9, GAD-7 and the pulse for two members
    assert set(Administration.objects.filter(session=fourth).values_list("status", flat=True)) == {
        "pending"
    }


def test_a_moved_session_moves_the_windows(cast, builtin_instruments):
    with_defaults(cast, builtin_instruments)
    fourth, moment = _plan_fourth(cast)
    with time_machine.travel(moment, tick=False):
        new_start = fourth.starts_at + timedelta(hours=2)
        session_services.session_reschedule(
            actor=cast.coordinator, session=fourth, starts_at=new_start
        )
        result = planning.reconcile()
    assert result.moved == 6  # PHQ-9, GAD-7 and the pulse for two members
    row = Administration.objects.filter(session=fourth, reason=Timing.EVERY_NTH_SESSION).first()
    assert row is not None
    assert (row.available_from, row.due_at, row.closes_at) == (
        new_start - timedelta(hours=48),
        new_start,
        new_start + timedelta(minutes=90),
    )


def test_a_member_who_leaves_is_not_asked_any_more(cast, builtin_instruments):
    with_defaults(cast, builtin_instruments)
    planning.plan_intake()
    _fourth, moment = _plan_fourth(cast)
    with time_machine.travel(moment, tick=False):
        place = Enrollment.objects.get(client=cast.client, group=cast.group_a)
        enrollment_withdraw(actor=cast.coordinator, enrollment=place, reason="Moved away")
        planning.reconcile()
    mine = Administration.objects.filter(client=cast.client)
    assert set(mine.values_list("status", flat=True)) == {"cancelled"}
    assert set(
        Administration.objects.filter(client=cast.client_b).values_list("status", flat=True)
    ) == {"pending"}


def test_answered_questionnaires_are_never_cancelled(cast, builtin_instruments):
    from kindred.measures.tests.questionnaire_support import answer_all

    with_defaults(cast, builtin_instruments)
    planning.plan_intake()
    row = Administration.objects.get(client=cast.client, instrument__code="phq9")
    answer_all(cast, row)
    place = Enrollment.objects.get(client=cast.client, group=cast.group_a)
    enrollment_withdraw(actor=cast.coordinator, enrollment=place, reason="Moved away")
    planning.reconcile()
    row.refresh_from_db()
    assert row.status == AdministrationStatus.IN_PROGRESS


def test_graduation_is_planned_when_a_member_graduates(cast, builtin_instruments):
    with_defaults(cast, builtin_instruments)
    schedule(cast, builtin_instruments.who5, Timing.GRADUATION)
    place = Enrollment.objects.get(client=cast.client, group=cast.group_a)
    enrollment_graduate(actor=cast.coordinator, enrollment=place)
    assert planning.plan_graduation() == 1
    assert planning.plan_graduation() == 0
    row = Administration.objects.get(reason=Timing.GRADUATION)
    place.refresh_from_db()
    assert place.ended_at is not None
    assert (row.client_id, row.available_from, row.closes_at) == (
        cast.client.pk,
        place.ended_at,
        place.ended_at + timedelta(days=14),
    )


def test_places_changed_are_planned_after_commit(
    cast, builtin_instruments, django_capture_on_commit_callbacks
):
    with_defaults(cast, builtin_instruments)
    place = Enrollment.objects.get(client=cast.client, group=cast.group_a)
    with django_capture_on_commit_callbacks(execute=True):
        planning.on_commit_plan_enrollment(place.pk)
    assert codes(Administration.objects.filter(client=cast.client)) == [
        ("gad7", "intake"),
        ("phq9", "intake"),
        ("pulse", "after_session"),  # the next session's, planned with the place
    ]


def test_a_new_group_gets_its_defaults_after_commit(
    cast, builtin_instruments, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        planning.on_commit_plan_group(cast.group_a.pk)
    assert MeasurementSchedule.objects.filter(group=cast.group_a).count() == 5
    assert not MeasurementSchedule.objects.filter(group=cast.group_b).exists()


def test_pending_questionnaires_follow_a_new_instrument_version(cast, builtin_instruments):
    with_defaults(cast, builtin_instruments)
    planning.plan_intake()
    Administration.objects.update(instrument_version="0")
    result = planning.reconcile()
    assert result.repinned == 6
    assert set(Administration.objects.values_list("instrument_version", flat=True)) == {"1"}


def test_sessions_are_counted_as_seen(cast):
    assert len(sessions_a(cast)) == 12


# --- The hooks in groups/services.py -------------------------------------------------------------


def test_setting_up_a_group_and_offering_a_place_plan_at_once(
    cast, builtin_instruments, django_capture_on_commit_callbacks
):
    from kindred.groups.services import enrollment_invite
    from kindred.groups.tests.factories import make_group

    with django_capture_on_commit_callbacks(execute=True):
        group = make_group(cast, name="Evening Circle")
    assert MeasurementSchedule.objects.filter(group=group, is_active=True).count() == 5
    with django_capture_on_commit_callbacks(execute=True):
        place = enrollment_invite(actor=cast.coordinator, group=group, client=cast.client)
    assert codes(Administration.objects.filter(group=group, reason=Timing.INTAKE)) == [
        ("gad7", "intake"),
        ("phq9", "intake"),
    ]
    schedule_create(
        actor=cast.coordinator,
        group=group,
        instrument=builtin_instruments.who5,
        timing="graduation",
    )
    from kindred.groups.services import enrollment_activate

    enrollment_activate(actor=None, enrollment=place)
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_graduate(actor=cast.coordinator, enrollment=place)
    assert codes(Administration.objects.filter(group=group, reason=Timing.GRADUATION)) == [
        ("who5", "graduation")
    ]
