"""Writing in-app notifications. Titles and bodies are never clinical: "A session was
cancelled", not why someone missed it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from kindred.notifications.models import Notification

if TYPE_CHECKING:
    from kindred.accounts.models import User


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
            return Notification.objects.create(
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
