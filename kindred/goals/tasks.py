"""Background work for goals: the weekly gentle reminders (safe to run twice)."""

from __future__ import annotations

from django.tasks import task

from kindred.goals.services import nudges_run


@task(queue_name="default")
def send_goal_nudges() -> dict[str, int]:
    """Send this week's due check-in reminders; returns how many goals were looked at,
    were due, and were reminded now."""
    return nudges_run().as_dict()
