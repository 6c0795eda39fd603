"""Test helpers for milestones: attendance and answers written as the app leaves them
(reusing the outcome tests' helpers), and a shared milestone ready to read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from kindred.measures.tests.outcome_support import attended, completed
from kindred.milestones.detection import detect
from kindred.milestones.models import Milestone, MilestoneKind

__all__ = ["attended", "completed", "improved", "sessions", "shared_first_session"]


def sessions(client: Any, group: Any, count: int, *, days_ago: int = 40) -> list[Any]:
    """``count`` attended sessions of ``group`` in the last ``days_ago`` days."""
    return attended(client, group, count, after=timezone.now() - timedelta(days=days_ago))


def improved(client: Any, group: Any, first: int = 18, latest: int = 8) -> None:
    """PHQ-9 totals ``first`` three weeks ago and ``latest`` now (18 → 8 is a reliable
    improvement and a recovery under the Talking Therapies criteria)."""
    now = timezone.now()
    completed(client, "phq9", total=first, group=group, when=now - timedelta(days=21))
    completed(client, "phq9", total=latest, group=group, when=now)


def shared_first_session(client: Any, group: Any, message: str = "") -> Milestone:
    from kindred.milestones.services import milestone_share

    sessions(client, group, 1)
    detect([client.pk])
    milestone = Milestone.objects.get(client=client, group=group, kind=MilestoneKind.FIRST_SESSION)
    return milestone_share(actor=client.user, milestone=milestone, message=message)
