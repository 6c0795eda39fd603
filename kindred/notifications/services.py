"""Writing in-app notifications. Titles and bodies are never clinical: "A session was
cancelled", not why someone missed it.

Reading state is a person's own business (no audit events): only the notification's
owner can mark it read, and nobody else can see it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from kindred.notifications.models import Notification

if TYPE_CHECKING:
    from kindred.accounts.models import User

#: The unread count shown in the page header is cached this long (and dropped on every
#: change after commit), so most pages ask the database nothing for it.
UNREAD_CACHE_SECONDS = 60


def unread_cache_key(user_id: int) -> str:
    return f"kindred:notifications:unread:{user_id}"


def forget_unread_count(user_id: int) -> None:
    """Drop the cached count now and again once the transaction commits (so a page
    rendered in between cannot keep a stale count)."""
    key = unread_cache_key(user_id)
    cache.delete(key)
    transaction.on_commit(partial(cache.delete, key))


def notify(
    *,
    user: User,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str = "",
) -> Notification | None:
    """Add one notification for ``user``. With a ``dedupe_key`` the same event never
    notifies a person twice (returns None the second time). Safe inside a transaction."""
    try:
        with transaction.atomic():
            note = Notification.objects.create(
                user=user,
                kind=kind[:40],
                title=title[:200],
                body=body[:500],
                url=url[:300],
                dedupe_key=dedupe_key[:120],
            )
    except IntegrityError:
        if dedupe_key:
            return None
        raise
    forget_unread_count(user.pk)
    return note


@dataclass(frozen=True)
class NewNotification:
    user_id: int
    kind: str
    title: str
    body: str = ""
    url: str = ""
    dedupe_key: str = ""


def notify_many(notes: Iterable[NewNotification]) -> int:
    """Add many notifications in one insert (for background jobs). A note whose
    ``dedupe_key`` its person already has is skipped, as ``notify`` would. Returns how
    many were asked for."""
    rows = [
        Notification(
            user_id=n.user_id,
            kind=n.kind[:40],
            title=n.title[:200],
            body=n.body[:500],
            url=n.url[:300],
            dedupe_key=n.dedupe_key[:120],
        )
        for n in notes
    ]
    if not rows:
        return 0
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    keys = [unread_cache_key(uid) for uid in {r.user_id for r in rows}]
    cache.delete_many(keys)
    transaction.on_commit(partial(cache.delete_many, keys))
    return len(rows)


def notification_mark_read(*, actor: User, notification: Notification) -> Notification:
    """Mark one of ``actor``'s notifications read (no change if it already is). The
    caller has fetched it with ``access.get_notification_for``."""
    if notification.user_id != actor.pk:  # access functions make this unreachable
        from kindred.core.errors import NotFound

        raise NotFound("No notification with that id.")
    if notification.read_at is None:
        now = timezone.now()
        updated = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=now
        )
        notification.read_at = now
        if updated:
            forget_unread_count(actor.pk)
    return notification


def notifications_mark_all_read(*, actor: User) -> int:
    """Mark every unread notification of ``actor`` read; returns how many."""
    updated = Notification.objects.filter(user=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if updated:
        forget_unread_count(actor.pk)
    return updated
