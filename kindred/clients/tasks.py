"""Background work for client records. Tasks take ids and call a service; each is safe
to run twice."""

from __future__ import annotations

from django.tasks import task

from kindred.clients.invitation_services import invitation_send


@task(queue_name="email")
def send_portal_invitation(invitation_id: int) -> bool:
    """Email the portal invitation (makes its one-time link). False: nothing to send,
    because it was already sent, accepted or revoked."""
    return invitation_send(invitation_id=invitation_id)
