"""Background work for sessions. Tasks take ids and call a function that is safe to run
twice (``reminder_sending`` claims each row before it sends)."""

from __future__ import annotations

from django.tasks import task

from kindred.scheduling.reminder_sending import send_reminders as send_reminder_batch


@task(queue_name="default")
def send_reminders(reminder_ids: list[int]) -> dict[str, int]:
    """Send the due reminders among ``reminder_ids``; returns how many were sent,
    skipped, failed, left to retry, not yet due, or taken by another worker."""
    return send_reminder_batch(reminder_ids).as_dict()
