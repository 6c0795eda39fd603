"""The facilitator's "Between sessions" home panel: what waits per group, in one query."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kindred.accounts.models import User
from kindred.clients.models import Client
from kindred.core.testing import Cast
from kindred.goals.models import CheckIn, Goal, GoalStatus
from kindred.goals.services import monday_of
from kindred.journal.models import JournalEntry
from kindred.practice.settings import practice_today
from kindred.strategies.models import Strategy, StrategyStatus
from kindred.web.between_sessions import facilitator_panel


def _card(cast: Cast, status: str) -> Strategy:
    return Strategy.objects.create(
        group=cast.group_a,
        author=cast.member,
        title="A walk after dinner",
        what_it_is="Ten minutes outside.",
        when_it_helps="When the evening feels long.",
        status=status,
        created_at=timezone.now(),
        decided_at=None if status == StrategyStatus.PENDING else timezone.now(),
        decided_by=None if status == StrategyStatus.PENDING else cast.facilitator,
    )


def _goal(cast: Cast, client: Client, user: User, what: str) -> Goal:
    return Goal.objects.create(
        client=client, user=user, group=cast.group_a, what=what, status=GoalStatus.ACTIVE
    )


def test_the_panel_counts_what_waits_in_each_group_the_facilitator_runs(cast: Cast) -> None:
    _card(cast, StrategyStatus.PENDING)
    _card(cast, StrategyStatus.PENDING)
    _card(cast, StrategyStatus.APPROVED)  # not waiting
    checked = _goal(cast, cast.client, cast.member, "Walk three mornings")
    _goal(cast, cast.client_b, cast.member_b, "Call my sister")
    CheckIn.objects.create(
        goal=checked,
        week_of=monday_of(practice_today()),
        progress=6,
        created_at=timezone.now(),
        updated_at=timezone.now(),
    )
    now = timezone.now()
    JournalEntry.objects.create(
        created_at=now,
        updated_at=now,
        user=cast.member,
        client=cast.client,
        body="A shared entry.",
        shared_with_facilitator=True,
        shared_at=now - timedelta(days=2),
    )
    JournalEntry.objects.create(
        created_at=now, updated_at=now, user=cast.member, client=cast.client, body="Private."
    )
    JournalEntry.objects.create(
        created_at=now,
        updated_at=now,  # shared too long ago to count as recent
        user=cast.member,
        client=cast.client,
        body="Old.",
        shared_with_facilitator=True,
        shared_at=now - timedelta(days=40),
    )

    with CaptureQueriesContext(connection) as queries:
        panel = facilitator_panel(cast.facilitator)
    assert panel is not None
    assert len(queries) <= 3  # the groups (not memoised here), the practice zone, the rows
    (row,) = panel["rows"]
    assert row["name"] == "Steady Ground"
    assert row["cards_waiting"] == 2
    assert row["entries_shared"] == 1
    assert row["goals_active"] == 2
    assert row["goals_waiting"] == 1
    assert panel["cards_waiting"] == 2


def test_other_facilitators_and_members_get_no_panel(cast: Cast) -> None:
    _card(cast, StrategyStatus.PENDING)
    other = facilitator_panel(cast.facilitator_b)
    assert other is not None
    assert [r["name"] for r in other["rows"]] == ["Open Harbor"]
    assert other["rows"][0]["cards_waiting"] == 0
    assert facilitator_panel(cast.member) is None
    assert facilitator_panel(cast.coordinator) is None
