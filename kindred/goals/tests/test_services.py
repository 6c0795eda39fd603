"""Goals: who sees what, bad input, weekly check-ins, replies, risk → alert, nudges."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from kindred.audit.models import AuditEvent
from kindred.core.errors import Conflict, InvalidState, NotFound, NotPermitted, ValidationFailed
from kindred.core.testing import Cast
from kindred.goals import selectors, services
from kindred.goals.access import GoalRole, get_goal_for, visible_goals
from kindred.goals.models import CheckIn, Goal, GoalStatus, SupportReply
from kindred.groups.models import Enrollment
from kindred.groups.services import enrollment_withdraw
from kindred.measures.models import AlertSource, SafetyAlert
from kindred.measures.safety import alert_acknowledge
from kindred.notifications.models import Notification
from kindred.space.access import get_space_for
from kindred.space.services import display_name_set, mute_create, space_pause

RISKY = "honestly I want to kill myself"


def make_goal(cast: Cast, *, shared: bool = True, **extra: Any) -> Goal:
    data = {
        "what": "Walk three times a week",
        "why": "It clears my head",
        "next_step": "Put shoes by the door",
        "shared_with_group": shared,
        **extra,
    }
    return services.goal_create(actor=cast.member, client=cast.client, data=data)


def own(cast: Cast, goal: Goal) -> Any:
    return get_goal_for(cast.member, goal.pk)


def actions(**filters: Any) -> list[str]:
    return list(AuditEvent.objects.filter(**filters).values_list("action", flat=True))


# --- visibility --------------------------------------------------------------------------


def test_a_shared_goal_is_seen_by_the_group_and_its_facilitators_only(cast: Cast) -> None:
    goal = make_goal(cast)
    assert goal.group_id == cast.group_a.pk  # the member's only group, chosen for them
    assert get_goal_for(cast.member, goal.pk).role == GoalRole.OWNER
    assert get_goal_for(cast.member_b, goal.pk).role == GoalRole.PEER
    assert get_goal_for(cast.facilitator, goal.pk).role == GoalRole.STAFF
    assert get_goal_for(cast.supervisor, goal.pk).role == GoalRole.STAFF  # supervises Fern
    assert get_goal_for(cast.admin, goal.pk).role == GoalRole.STAFF
    for person in (cast.outsider, cast.facilitator_b, cast.coordinator, cast.billing):
        with pytest.raises(NotFound):
            get_goal_for(person, goal.pk)
    assert actions(action="goals.goal.denied").count("goals.goal.denied") == 4
    with pytest.raises(NotFound):
        get_goal_for(cast.member, "nonsense")


def test_a_private_goal_is_seen_by_the_member_and_staff_but_not_the_group(cast: Cast) -> None:
    goal = make_goal(cast, shared=False)
    with pytest.raises(NotFound):
        get_goal_for(cast.member_b, goal.pk)
    assert get_goal_for(cast.facilitator, goal.pk).is_staff
    assert not visible_goals(cast.member_b).exists()


def test_a_member_who_leaves_stops_seeing_and_being_seen(cast: Cast) -> None:
    goal = make_goal(cast)
    enrollment = Enrollment.objects.get(client=cast.client_b, group=cast.group_a)
    enrollment_withdraw(actor=cast.admin, enrollment=enrollment, reason="Moved away")
    with pytest.raises(NotFound):
        get_goal_for(cast.member_b, goal.pk)
    access = get_goal_for(cast.member_b, goal.pk, allow_former=True)
    with pytest.raises(InvalidState) as left:
        services.reply_create(actor=cast.member_b, access=access, body="Go you")
    assert left.value.code == "left_group"
    assert "no longer a member" in left.value.message
    assert not SupportReply.objects.exists()


# --- bad input ---------------------------------------------------------------------------


def test_goal_bad_input_gives_specific_messages_and_stores_nothing(cast: Cast) -> None:
    with pytest.raises(ValidationFailed) as bad:
        services.goal_create(
            actor=cast.member,
            client=cast.client,
            data={
                "what": "x" * 201,
                "why": "y" * 1001,
                "next_step": "z" * 301,
                "by_when": "2001-01-01",
                "nudge_day": 9,
            },
        )
    errors = bad.value.errors
    assert "201 characters" in errors["what"][0]
    assert "at most 200" in errors["what"][0]
    assert "1,001 characters" in errors["why"][0]
    assert "at most 300" in errors["next_step"][0]
    assert "passed" in errors["by_when"][0]
    assert "day of the week" in errors["nudge_day"][0]
    with pytest.raises(ValidationFailed) as empty:
        services.goal_create(actor=cast.member, client=cast.client, data={"what": "   "})
    assert "what" in empty.value.errors
    with pytest.raises(ValidationFailed) as nul:
        services.goal_create(actor=cast.member, client=cast.client, data={"what": "a\x00b"})
    assert "can't store" in nul.value.errors["what"][0]
    with pytest.raises(ValidationFailed) as other_group:
        services.goal_create(
            actor=cast.member, client=cast.client, data={"what": "x", "group_id": cast.group_b.pk}
        )
    assert "groups you are in" in other_group.value.errors["group_id"][0]
    assert not Goal.objects.exists()


def test_html_is_stored_as_written_and_never_trusted(cast: Cast) -> None:
    goal = make_goal(cast, what="<script>alert(1)</script> walk")
    assert goal.what == "<script>alert(1)</script> walk"


def test_progress_outside_the_scale_is_refused(cast: Cast) -> None:
    access = get_goal_for(cast.member, make_goal(cast).pk)
    for value, words in ((11, "outside the scale"), (-1, "outside the scale"), ("seven", "whole")):
        with pytest.raises(ValidationFailed) as bad:
            services.checkin_record(actor=cast.member, access=access, progress=value)
        assert words in bad.value.errors["progress"][0]
    with pytest.raises(ValidationFailed) as long_note:
        services.checkin_record(actor=cast.member, access=access, progress=5, note="n" * 281)
    assert "at most 280" in long_note.value.errors["note"][0]
    assert not CheckIn.objects.exists()


def test_one_checkin_a_week_second_refused_or_updated(cast: Cast) -> None:
    goal = make_goal(cast)
    access = get_goal_for(cast.member, goal.pk)
    checkin, created = services.checkin_record(
        actor=cast.member, access=access, progress=4, note="Two walks"
    )
    assert created
    assert checkin.week_of.weekday() == 0
    with pytest.raises(Conflict) as twice:
        services.checkin_record(actor=cast.member, access=access, progress=6)
    assert "already checked in on this goal this week (progress 4" in twice.value.message
    assert CheckIn.objects.get().progress == 4
    again, created = services.checkin_record(
        actor=cast.member, access=access, progress=6, note="Three!", replace=True
    )
    assert not created
    assert again.pk == checkin.pk
    assert CheckIn.objects.get().progress == 6
    assert sorted(actions(object_type="goals.checkin")) == [
        "goals.checkin.created",
        "goals.checkin.updated",
    ]


def test_week_is_the_members_own(cast: Cast) -> None:
    # Sunday 23:30 in Chicago is already Monday in UTC: the check-in counts for the
    # member's week (the Monday before).
    cast.client.timezone = "America/Chicago"
    cast.client.save(update_fields=["timezone"])
    moment = datetime(2026, 3, 16, 4, 30, tzinfo=UTC)  # Sun 15 Mar 23:30 CDT
    assert services.week_of_for(cast.client, moment).isoformat() == "2026-03-09"


def test_only_the_owner_changes_a_goal(cast: Cast) -> None:
    goal = make_goal(cast)
    for person in (cast.member_b, cast.facilitator):
        access = get_goal_for(person, goal.pk)
        with pytest.raises(NotPermitted):
            services.goal_update(actor=person, access=access, data={"what": "Other"})
        with pytest.raises(NotPermitted):
            services.checkin_record(actor=person, access=access, progress=3)
    assert Goal.objects.get().what == "Walk three times a week"


def test_reached_goal_is_celebrated_and_takes_no_checkins(cast: Cast) -> None:
    goal = make_goal(cast)
    access = get_goal_for(cast.member, goal.pk)
    reached = services.goal_set_status(actor=cast.member, access=access, status="reached")
    assert reached.status == GoalStatus.REACHED
    assert reached.reached_at is not None
    with pytest.raises(InvalidState) as closed:
        services.checkin_record(
            actor=cast.member, access=get_goal_for(cast.member, goal.pk), progress=10
        )
    assert closed.value.code == "goal_not_active"
    assert "goals.goal.reached" in actions()


# --- replies -----------------------------------------------------------------------------


def test_support_reply_notifies_without_words_and_respects_mutes_and_pause(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    goal = make_goal(cast)
    display_name_set(
        actor=cast.member_b, access=get_space_for(cast.member_b, cast.group_a.pk), name="River"
    )
    access = get_goal_for(cast.member_b, goal.pk)
    with pytest.raises(ValidationFailed):
        services.reply_create(actor=cast.member_b, access=access, body="")
    with pytest.raises(ValidationFailed) as long:
        services.reply_create(actor=cast.member_b, access=access, body="y" * 501)
    assert "at most 500" in long.value.errors["body"][0]
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_create(actor=cast.member_b, access=access, body="You can do it")
    note = Notification.objects.get(user=cast.member, kind="goals.reply")
    assert "You can do it" not in note.title
    assert "River" not in note.title
    shared = selectors.group_shared_goals(cast.client_b, cast.member_b)[0].rows[0]
    assert shared.owner.label == "A group member"  # Avery chose no display name
    assert shared.replies[0].author.label == "River"
    assert reply.pk
    fac_space = get_space_for(cast.facilitator, cast.group_a.pk)
    mute_create(actor=cast.facilitator, access=fac_space, user=cast.member_b, days=2, reason="Cool")
    with pytest.raises(InvalidState) as muted:
        services.reply_create(actor=cast.member_b, access=access, body="Again")
    assert muted.value.code == "muted"
    space_pause(actor=cast.facilitator, access=fac_space, reason="Holiday")
    with pytest.raises(InvalidState) as paused:
        services.reply_create(
            actor=cast.member, access=get_goal_for(cast.member, goal.pk), body="x"
        )
    assert paused.value.code == "paused"
    assert "Holiday" in paused.value.message
    assert SupportReply.objects.count() == 1


def test_facilitator_hides_a_reply_and_members_stop_seeing_it(cast: Cast) -> None:
    goal = make_goal(cast)
    reply = services.reply_create(
        actor=cast.member_b, access=get_goal_for(cast.member_b, goal.pk), body="Meh"
    )
    with pytest.raises(NotPermitted):
        services.reply_hide(
            actor=cast.member, access=get_goal_for(cast.member, goal.pk), reply=reply, reason="x"
        )
    staff = get_goal_for(cast.facilitator, goal.pk)
    with pytest.raises(ValidationFailed):
        services.reply_hide(actor=cast.facilitator, access=staff, reply=reply, reason=" ")
    services.reply_hide(actor=cast.facilitator, access=staff, reply=reply, reason="Unkind")
    reply.refresh_from_db()
    assert reply.body == "Meh"
    assert reply.hidden_by == cast.facilitator
    assert selectors.group_shared_goals(cast.client, cast.member)[0].rows[0].replies == []


# --- risk language -----------------------------------------------------------------------


def test_risky_checkin_note_raises_an_alert_and_stays_out_of_the_group(cast: Cast) -> None:
    goal = make_goal(cast)
    checkin, _created = services.checkin_record(
        actor=cast.member, access=get_goal_for(cast.member, goal.pk), progress=2, note=RISKY
    )
    assert checkin.risk_flagged
    alert = SafetyAlert.objects.get()
    assert alert.source == AlertSource.RISK_LANGUAGE
    assert alert.flag_code == f"goals.checkin.{checkin.pk}"
    assert alert.client_id == cast.client.pk
    assert alert.group_id == cast.group_a.pk
    # Saving the same words again (a new number) raises nothing new once it is handled.
    alert_acknowledge(actor=cast.facilitator, alert=alert, action="contacted", note="Called")
    again, _created = services.checkin_record(
        actor=cast.member, access=own(cast, goal), progress=3, note=RISKY, replace=True
    )
    assert again.risk_flagged
    assert SafetyAlert.objects.count() == 1
    peer_view = selectors.group_shared_goals(cast.client_b, cast.member_b)[0].rows[0]
    assert peer_view.latest is not None
    assert peer_view.latest.note == ""
    assert peer_view.latest.progress == 3


def test_risky_goal_text_and_reply_raise_alerts_for_the_writer(cast: Cast) -> None:
    goal = make_goal(cast, why=RISKY)
    assert SafetyAlert.objects.filter(flag_code=f"goals.goal.{goal.pk}").exists()
    reply = services.reply_create(
        actor=cast.member_b, access=get_goal_for(cast.member_b, goal.pk), body=RISKY
    )
    alert = SafetyAlert.objects.get(flag_code=f"goals.reply.{reply.pk}")
    assert alert.client_id == cast.client_b.pk


# --- the facilitator's view --------------------------------------------------------------


def test_group_view_shows_waiting_checkins_and_audits_reads(cast: Cast) -> None:
    goal = make_goal(cast)
    services.goal_create(actor=cast.member_b, client=cast.client_b, data={"what": "Sleep by 11"})
    services.checkin_record(
        actor=cast.member, access=get_goal_for(cast.member, goal.pk), progress=5
    )
    view = selectors.group_goals(cast.group_a, cast.facilitator)
    assert view.active_goals == 2
    assert view.waiting == 1
    events = AuditEvent.objects.filter(action="goals.group_goals.viewed")
    assert sorted(events.values_list("client_id", flat=True)) == sorted(
        [cast.client.pk, cast.client_b.pk]
    )


def test_group_view_query_count_is_constant(cast: Cast, django_assert_max_num_queries: Any) -> None:
    goal = make_goal(cast)
    services.checkin_record(
        actor=cast.member, access=get_goal_for(cast.member, goal.pk), progress=5
    )
    with django_assert_max_num_queries(4):
        selectors.group_goals(cast.group_a, cast.facilitator)
    for n in range(6):
        extra = services.goal_create(
            actor=cast.member_b, client=cast.client_b, data={"what": f"Goal {n}"}
        )
        services.checkin_record(
            actor=cast.member_b, access=get_goal_for(cast.member_b, extra.pk), progress=n
        )
    with django_assert_max_num_queries(4):
        selectors.group_goals(cast.group_a, cast.facilitator)


# --- nudges ------------------------------------------------------------------------------


def test_nudges_once_a_week_gently_and_not_after_a_checkin(cast: Cast) -> None:
    goal = make_goal(cast, nudge_day=0)
    Goal.objects.filter(pk=goal.pk).update(created_at=timezone.now() - timedelta(days=10))
    quiet = make_goal(cast, what="Read", nudges=False)
    Goal.objects.filter(pk=quiet.pk).update(created_at=timezone.now() - timedelta(days=10))
    out = io.StringIO()
    call_command("goal_nudges", stdout=out)
    assert "sent 1" in out.getvalue()
    note = Notification.objects.get(kind="goals.nudge")
    assert note.user == cast.member
    assert note.title == services.NUDGE_TITLE
    out = io.StringIO()
    call_command("goal_nudges", stdout=out)  # idempotent
    assert "sent 0" in out.getvalue()
    assert Notification.objects.filter(kind="goals.nudge").count() == 1
    Notification.objects.all().delete()
    services.checkin_record(
        actor=cast.member, access=get_goal_for(cast.member, goal.pk), progress=3
    )
    assert services.nudges_run().sent == 0
