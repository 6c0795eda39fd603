"""Reading notifications: always one person's own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db.models import QuerySet

from kindred.notifications.models import Notification
from kindred.notifications.services import UNREAD_CACHE_SECONDS, unread_cache_key

if TYPE_CHECKING:
    from kindred.accounts.models import User


def notification_list(*, actor: User, unread_only: bool = False) -> QuerySet[Notification]:
    """``actor``'s notifications, newest first."""
    notes = Notification.objects.filter(user_id=actor.pk)
    if unread_only:
        notes = notes.filter(read_at__isnull=True)
    return notes.order_by("-created_at", "-id")


def unread_count(*, actor: User) -> int:
    """How many of ``actor``'s notifications are unread: from the cache when it can,
    else one indexed COUNT."""
    key = unread_cache_key(actor.pk)
    cached = cache.get(key)
    if isinstance(cached, int):
        return cached
    count = Notification.objects.filter(user_id=actor.pk, read_at__isnull=True).count()
    cache.set(key, count, UNREAD_CACHE_SECONDS)
    return count
