"""Seeding milestones for the demo (through the real services) and the scale set."""

from __future__ import annotations

from django.utils import timezone

from kindred.core.seeding.milestones import seed_demo_milestones, seed_scale_milestones
from kindred.core.testing import Cast
from kindred.milestones.models import Milestone, MilestoneState
from kindred.milestones.tests.support import improved, sessions


def test_seed_demo_milestones_shares_a_couple_and_is_repeatable(cast: Cast) -> None:
    for client in (cast.client, cast.client_b):
        sessions(client, cast.group_a, 4)
    improved(cast.client, cast.group_a)
    written = seed_demo_milestones([cast.group_a, cast.group_b], seed=7)
    assert written == Milestone.objects.count() == 5
    shared = Milestone.objects.filter(state=MilestoneState.SHARED)
    assert sorted(shared.values_list("client_id", flat=True)) == sorted(
        [cast.client.pk, cast.client_b.pk]
    )
    assert Milestone.objects.filter(state=MilestoneState.SUGGESTED).count() == 3
    assert seed_demo_milestones([cast.group_a, cast.group_b], seed=7) == 5
    assert Milestone.objects.filter(state=MilestoneState.SHARED).count() == 2


def test_seed_scale_milestones_reports_progress(cast: Cast) -> None:
    for client in (cast.client, cast.client_b):
        sessions(client, cast.group_a, 4)
    sessions(cast.outsider_client, cast.group_b, 1)
    steps: list[int] = []
    written = seed_scale_milestones(
        [cast.group_a.pk, cast.group_b.pk], now=timezone.now(), seed=3, progress=steps.append
    )
    assert written == sum(steps) == Milestone.objects.count() == 5
    assert not Milestone.objects.exclude(state__in=["suggested", "shared"]).exists()
