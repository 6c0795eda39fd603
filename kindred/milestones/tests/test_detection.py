"""Detection: each kind from its source, once per event, never for the wrong people,
and a constant number of queries per batch."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from kindred.core.testing import Cast
from kindred.groups.models import Enrollment
from kindred.groups.services import enrollment_graduate, enrollment_withdraw
from kindred.milestones.detection import detect
from kindred.milestones.models import Milestone, MilestoneKind, MilestoneState
from kindred.milestones.tests.support import completed, improved, sessions
from kindred.notifications.models import Notification


def kinds(client: Any, **filters: Any) -> set[str]:
    return set(Milestone.objects.filter(client=client, **filters).values_list("kind", flat=True))


def test_first_and_fourth_session_once_each_with_one_notification(cast: Cast) -> None:
    sessions(cast.client, cast.group_a, 3)
    result = detect([cast.client.pk])
    assert kinds(cast.client) == {MilestoneKind.FIRST_SESSION}
    assert result.created == {MilestoneKind.FIRST_SESSION: 1}

    sessions(cast.client, cast.group_a, 4)
    detect([cast.client.pk])
    assert kinds(cast.client) == {MilestoneKind.FIRST_SESSION, MilestoneKind.FOURTH_SESSION}

    again = detect([cast.client.pk])
    assert again.total_created == 0
    assert Milestone.objects.filter(client=cast.client).count() == 2
    notes = Notification.objects.filter(user=cast.member, kind="milestone")
    assert notes.count() == 2
    for note in notes:
        assert note.title == "Something worth celebrating"
        assert not any(ch.isdigit() for ch in note.title + note.body)
    first = Milestone.objects.get(client=cast.client, kind=MilestoneKind.FIRST_SESSION)
    assert first.state == MilestoneState.SUGGESTED
    assert first.user_id == cast.member.pk
    assert first.group_id == cast.group_a.pk


def test_absences_do_not_count_and_old_history_is_not_news(cast: Cast) -> None:
    sessions(cast.client, cast.group_a, 2)
    from kindred.scheduling.models import Attendance

    Attendance.objects.filter(client=cast.client).update(status="absent_notice")
    assert detect([cast.client.pk]).total_created == 0
    sessions(cast.client_b, cast.group_a, 1)
    later = timezone.now() + timedelta(days=200)
    assert detect([cast.client_b.pk], now=later).total_created == 0
    assert detect([cast.client_b.pk], now=later, within_days=None).total_created == 1


def test_reliable_improvement_is_found_withdrawn_and_suggested_again(cast: Cast) -> None:
    improved(cast.client, cast.group_a)
    detect([cast.client.pk])
    milestone = Milestone.objects.get(client=cast.client, kind=MilestoneKind.RELIABLE_IMPROVEMENT)
    assert milestone.state == MilestoneState.SUGGESTED

    # The latest answers no longer show it: the suggestion is withdrawn ...
    completed(cast.client, "phq9", total=17, group=cast.group_a, when=timezone.now())
    result = detect([cast.client.pk])
    assert result.withdrawn == 1
    milestone.refresh_from_db()
    assert milestone.state == MilestoneState.WITHDRAWN
    # ... and comes back when they do again, without a second row or notification.
    completed(cast.client, "phq9", total=6, group=cast.group_a, when=timezone.now())
    assert detect([cast.client.pk]).restored == 1
    milestone.refresh_from_db()
    assert milestone.state == MilestoneState.SUGGESTED
    assert Milestone.objects.filter(client=cast.client).count() == 1
    assert Notification.objects.filter(user=cast.member, kind="milestone").count() == 1


@pytest.mark.parametrize(
    ("first", "latest"),
    [(18, 15), (12, 14), (4, 1)],  # fall of 3; a rise; never a case and a fall of 3
)
def test_no_reliable_improvement_no_milestone(cast: Cast, first: int, latest: int) -> None:
    improved(cast.client, cast.group_a, first, latest)
    detect([cast.client.pk])
    assert kinds(cast.client) == set()


def test_improvement_all_before_joining_is_not_this_groups_milestone(cast: Cast) -> None:
    now = timezone.now()
    completed(cast.client, "phq9", total=18, when=now - timedelta(days=30))
    completed(cast.client, "phq9", total=8, when=now - timedelta(days=20))
    Enrollment.objects.filter(client=cast.client, group=cast.group_a).update(
        activated_at=now - timedelta(days=10)
    )
    detect([cast.client.pk])
    assert kinds(cast.client) == set()


def test_the_unvalidated_pulse_never_counts(cast: Cast) -> None:
    now = timezone.now()
    completed(
        cast.client,
        "pulse",
        {"mood": 0, "connection": 0, "coping": 0},
        when=now - timedelta(days=9),
    )
    completed(cast.client, "pulse", {"mood": 4, "connection": 4, "coping": 4}, when=now)
    detect([cast.client.pk])
    assert kinds(cast.client) == set()


def test_graduation(cast: Cast) -> None:
    enrollment = Enrollment.objects.get(client=cast.client, group=cast.group_a)
    enrollment_graduate(actor=None, enrollment=enrollment)
    sessions(cast.client, cast.group_a, 4)
    detect([cast.client.pk])
    # A graduate's place has ended: only the graduation is suggested now.
    assert kinds(cast.client) == {MilestoneKind.GRADUATION}


def test_nothing_for_a_member_who_withdrew(cast: Cast) -> None:
    enrollment = Enrollment.objects.get(client=cast.client, group=cast.group_a)
    enrollment_withdraw(actor=None, enrollment=enrollment, reason="Moved away")
    sessions(cast.client, cast.group_a, 4)
    improved(cast.client, cast.group_a)
    detect([cast.client.pk])
    assert kinds(cast.client) == set()


def test_everyone_at_once_and_the_command(cast: Cast, capsys: pytest.CaptureFixture[str]) -> None:
    sessions(cast.client, cast.group_a, 1)
    sessions(cast.client_b, cast.group_a, 4)
    sessions(cast.outsider_client, cast.group_b, 1)
    call_command("detect_milestones")
    out = capsys.readouterr().out
    assert "4 new milestones for 3 clients" in out
    assert Milestone.objects.count() == 4
    call_command("detect_milestones")
    assert "0 new milestones" in capsys.readouterr().out


def _grow(cast: Cast, extra: int) -> list[int]:
    """``extra`` more members of group A, each with four sessions and an improvement."""
    from kindred.clients.models import Client
    from kindred.clients.services import client_create
    from kindred.groups.services import enrollment_activate, enrollment_invite

    ids = [cast.client.pk, cast.client_b.pk]
    template = cast.client
    cast.group_a.max_size = 16
    cast.group_a.save(update_fields=["max_size"])
    for i in range(extra):
        client = client_create(
            actor=None,
            legal_first_name=f"Extra{i}",
            legal_last_name="Member",
            date_of_birth=template.date_of_birth,
            state_of_residence="IL",
            email=f"extra{i}@example.test",
        )
        enrollment_activate(
            actor=None, enrollment=enrollment_invite(actor=None, group=cast.group_a, client=client)
        )
        ids.append(client.pk)
    for pk in ids:
        client = Client.objects.get(pk=pk)
        sessions(client, cast.group_a, 4)
        improved(client, cast.group_a)
    return ids


@pytest.mark.parametrize("extra", [1, 12])
def test_detection_queries_do_not_grow_with_the_batch(
    cast: Cast, extra: int, django_assert_max_num_queries: object
) -> None:
    ids = _grow(cast, extra)
    with django_assert_max_num_queries(14):  # type: ignore[operator]
        result = detect(ids)
    assert result.created[MilestoneKind.FIRST_SESSION] == len(ids)
    assert result.created[MilestoneKind.RELIABLE_IMPROVEMENT] == len(ids)


def _goal(cast: Cast, *, group: Any, status: str = "reached") -> Any:
    from kindred.goals.models import Goal

    return Goal.objects.create(
        client=cast.client,
        user=cast.member,
        group=group,
        what="Walk every morning",
        status=status,
        reached_at=timezone.now() if status == "reached" else None,
    )


def test_goal_reached_once_per_goal(cast: Cast) -> None:
    first = _goal(cast, group=cast.group_a)
    personal = _goal(cast, group=None)  # not tied to a group: counts in the member's group
    _goal(cast, group=cast.group_a, status="active")
    _goal(cast, group=cast.group_b)  # a group they are not in: nothing there
    detect([cast.client.pk])
    detect([cast.client.pk])
    rows = Milestone.objects.filter(client=cast.client, kind=MilestoneKind.GOAL_REACHED)
    assert sorted(rows.values_list("group_id", "source_key")) == sorted(
        [(cast.group_a.pk, str(first.pk)), (cast.group_a.pk, str(personal.pk))]
    )
