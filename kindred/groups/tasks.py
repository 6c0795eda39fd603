"""Background work for groups. Tasks take ids and call a function that is safe to run
twice."""

from __future__ import annotations

from django.tasks import task

from kindred.groups.emails import notice_email_send


@task(queue_name="email")
def send_notice_email(notification_id: int) -> bool:
    """Email the short "something changed, sign in" notice for one notification. False
    when it was already sent (or the notification is gone)."""
    return notice_email_send(notification_id=notification_id)
