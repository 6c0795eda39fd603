"""A person's notification preference: the email digest (off or daily) and the local
hour it goes out. Everyone signed in has one (members and staff alike); it is theirs
alone to read and change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from kindred.audit.services import audit_change
from kindred.core.errors import ValidationFailed
from kindred.notifications.models import (
    DEFAULT_DIGEST_HOUR,
    DigestFrequency,
    NotificationPreference,
)
from kindred.practice.settings import practice_settings

if TYPE_CHECKING:
    from kindred.accounts.models import User


def preference_of(user: User) -> NotificationPreference:
    """``user``'s preference, or the default (digest off, 6 PM) unsaved."""
    found = NotificationPreference.objects.filter(user_id=user.pk).first()
    return found or NotificationPreference(
        user=user, digest=DigestFrequency.OFF, digest_hour=DEFAULT_DIGEST_HOUR
    )


def time_zone_of(user: User) -> str:
    """The zone the digest hour is read in: a member's own (from their record), else
    the practice's."""
    from kindred.clients.models import Client

    own = Client.objects.filter(user_id=user.pk).values_list("timezone", flat=True).first()
    return own or practice_settings().timezone


@transaction.atomic
def preference_set(*, actor: User, digest: str, digest_hour: int) -> NotificationPreference:
    """Change ``actor``'s own preference. Bad values are refused with the reason and
    nothing changes."""
    errors: dict[str, list[str]] = {}
    if digest not in DigestFrequency.values:
        errors["digest"] = [_("Choose “Off” or “Daily”.")]
    if (
        isinstance(digest_hour, bool)
        or not isinstance(digest_hour, int)
        or not 0 <= digest_hour <= 23
    ):
        errors["digest_hour"] = [_("Choose an hour from 0 (midnight) to 23 (11 PM).")]
    if errors:
        raise ValidationFailed(errors=errors)
    pref = NotificationPreference.objects.select_for_update().filter(user_id=actor.pk).first()
    if pref is None:
        pref = NotificationPreference(user=actor)
    changed = [
        name
        for name, value in (("digest", digest), ("digest_hour", digest_hour))
        if getattr(pref, name) != value or pref.pk is None
    ]
    if pref.digest != DigestFrequency.DAILY and digest == DigestFrequency.DAILY:
        # Turning it on: the first digest counts only what arrives from now on.
        from django.utils import timezone

        pref.last_digest_at = timezone.now()
    pref.digest, pref.digest_hour = digest, digest_hour
    pref.save()
    if changed:
        audit_change(
            actor=actor, action="notifications.preference.changed", obj=pref, changed=changed
        )
    return pref
