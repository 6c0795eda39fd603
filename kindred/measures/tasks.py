"""Background work for questionnaires. Tasks take ids and call a function that is safe to
run twice (measures/reminders.py claims each reminder before it is sent)."""

from __future__ import annotations

from django.tasks import task

from kindred.measures.reminders import reminders_send


@task(queue_name="default")
def send_questionnaire_reminders(administration_ids: list[int]) -> dict[str, int]:
    """Remind members of unanswered check-ins among ``administration_ids``; returns how
    many were sent, emailed, skipped, or already sent by another worker."""
    return reminders_send(administration_ids).as_dict()
