"""Background work for screening. Tasks take ids and are safe to run twice."""

from __future__ import annotations

from django.tasks import task

from kindred.intake.screening_notices import screening_outcome_email_send


@task(queue_name="email")
def send_screening_outcome_email(screening_id: int) -> bool:
    """Email a deferred or referred candidate the kind note about next steps. False
    when it was already sent (or there is nothing to send)."""
    return screening_outcome_email_send(screening_id=screening_id)
