"""The practice-wide settings other code reads on every request, cached briefly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from kindred.practice.models import DEFAULT_CRISIS_TEXT, Practice

CACHE_KEY = "kindred:practice-settings:v2"
CACHE_SECONDS = 60


@dataclass(frozen=True)
class PracticeSettings:
    name: str
    timezone: str
    crisis_resources: str
    staff_idle_minutes: int
    member_idle_minutes: int
    configured: bool
    #: Years a closed member's clinical record is kept; None: the deployment's default
    #: (``KINDRED_RECORD_RETENTION_YEARS``) because no practice profile exists yet.
    record_retention_years: int | None = None


def practice_settings() -> PracticeSettings:
    cached = cache.get(CACHE_KEY)
    if isinstance(cached, PracticeSettings):
        return cached
    practice = Practice.objects.filter(pk=1).first()
    if practice is None:
        value = PracticeSettings(
            name="Kindred",
            timezone="America/Chicago",
            crisis_resources=DEFAULT_CRISIS_TEXT,
            staff_idle_minutes=settings.KINDRED_STAFF_IDLE_MINUTES_DEFAULT,
            member_idle_minutes=settings.KINDRED_MEMBER_IDLE_MINUTES_DEFAULT,
            configured=False,
        )
    else:
        value = PracticeSettings(
            name=practice.name,
            timezone=practice.timezone,
            crisis_resources=practice.crisis_resources,
            staff_idle_minutes=practice.staff_idle_minutes,
            member_idle_minutes=practice.member_idle_minutes,
            configured=True,
            record_retention_years=practice.record_retention_years,
        )
    cache.set(CACHE_KEY, value, CACHE_SECONDS)
    return value


def forget_practice_settings() -> None:
    """Call after the practice profile changes (on commit)."""
    cache.delete(CACHE_KEY)


def practice_today() -> date:
    """Today's date where the practice is (its time zone, not the server's)."""
    return timezone.localdate(timezone=ZoneInfo(practice_settings().timezone))
