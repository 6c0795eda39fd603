"""Milestones over the real demo data (seed_demo), as a facilitator and members would
meet them."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from kindred.core.seeding.demo import DEMO_SEED
from kindred.core.seeding.milestones import seed_demo_milestones
from kindred.groups.models import TherapyGroup
from kindred.milestones.models import Milestone, MilestoneState
from kindred.milestones.trends import group_trends


@pytest.fixture
def demo(db: None, settings: pytest.FixtureRequest) -> None:
    settings.DEBUG = True  # type: ignore[attr-defined]
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())


def test_demo_milestones(demo: None) -> None:
    groups = list(TherapyGroup.objects.order_by("pk"))
    total = seed_demo_milestones(groups, seed=DEMO_SEED)
    kinds = set(Milestone.objects.values_list("kind", flat=True))
    assert total == Milestone.objects.count() > 0
    assert {"first_session", "fourth_session"} <= kinds
    assert Milestone.objects.filter(state=MilestoneState.SHARED).count() >= 2
    assert seed_demo_milestones(groups, seed=DEMO_SEED) == total  # repeatable
    shown = [t for g in groups for t in group_trends(g).instruments if not t.suppressed]
    assert shown  # the demo has a group where three or more answered twice
    assert all(
        t.sentence.endswith("have improved since joining; " + f"{t.reliably_improved} reliably.")
        for t in shown
    )
