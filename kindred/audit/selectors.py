"""Reads of the audit log, for the people who may oversee it (VIEW_AUDIT)."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet

from kindred.accounts.models import User
from kindred.audit.models import AuditEvent, Category
from kindred.core.errors import NotFound
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability
from kindred.practice.settings import practice_settings


@dataclass(frozen=True)
class AuditFilters:
    """What to narrow the log to. Dates are whole days in the practice's time zone."""

    actor_id: int | None = None
    actor_email: str = ""
    action_prefix: str = ""
    action_contains: str = ""
    category: Category | None = None
    client_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def _start_of_day(day: date, tz: zoneinfo.ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def audit_event_list(*, actor: User, filters: AuditFilters | None = None) -> QuerySet[AuditEvent]:
    """Events newest first, with the actor and client loaded in the same query."""
    role_checks.require(actor, Capability.VIEW_AUDIT)
    f = filters or AuditFilters()
    qs = AuditEvent.objects.select_related("actor", "client").order_by("-occurred_at", "-id")
    if f.actor_id is not None:
        qs = qs.filter(actor_id=f.actor_id)
    if f.actor_email:
        qs = qs.filter(actor_label__icontains=f.actor_email)
    if f.action_prefix:
        qs = qs.filter(action__startswith=f.action_prefix)
    if f.action_contains:
        qs = qs.filter(action__icontains=f.action_contains)
    if f.category:
        qs = qs.filter(category=f.category)
    if f.client_id is not None:
        qs = qs.filter(client_id=f.client_id)
    if f.date_from or f.date_to:
        tz = zoneinfo.ZoneInfo(practice_settings().timezone)
        if f.date_from:
            qs = qs.filter(occurred_at__gte=_start_of_day(f.date_from, tz))
        if f.date_to:
            qs = qs.filter(occurred_at__lt=_start_of_day(f.date_to + timedelta(days=1), tz))
    return qs


def audit_event_get(*, actor: User, event_id: int) -> AuditEvent:
    role_checks.require(actor, Capability.VIEW_AUDIT)
    event = AuditEvent.objects.select_related("actor", "client").filter(pk=event_id).first()
    if event is None:
        raise NotFound("No audit event with that id.")
    return event
