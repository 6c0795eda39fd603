"""Who may see which notifications: only their owner. Someone else's is a 404."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kindred.core.access import deny
from kindred.notifications.models import Notification

if TYPE_CHECKING:
    from kindred.accounts.models import User


def get_notification_for(actor: User, notification_id: object) -> Notification:
    try:
        pk = int(str(notification_id))
    except ValueError:
        pk = None
    found = Notification.objects.filter(pk=pk, user_id=actor.pk).first() if pk is not None else None
    if found is None:
        deny(actor, Notification, notification_id)
    return found
