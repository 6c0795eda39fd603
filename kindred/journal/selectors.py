"""Reading journal entries: a member's own, or those shared with a group's facilitators.

A facilitator's read of shared entries writes one access audit event per entry shown
(in one insert), naming the writer's client record and never any text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

from kindred.audit.models import AuditEvent, Category
from kindred.core import context
from kindred.groups.models import Enrollment
from kindred.journal.access import audience_groups, own_entries
from kindred.journal.models import JournalEntry
from kindred.scheduling.models import GroupSession, SessionStatus
from kindred.scheduling.recurrence import zone

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client
    from kindred.groups.models import TherapyGroup

#: How many recent sessions the entry form offers.
SESSION_CHOICES = 8
#: How far back the form looks for them.
SESSION_CHOICE_DAYS = 120
READ_ACTION = "journal.entry.viewed"


def entry_list(actor: User) -> QuerySet[JournalEntry]:
    """``actor``'s own entries, newest first, with the session each is about."""
    return own_entries(actor).select_related("session__group").order_by("-created_at", "-id")


def end_of_today(client: Client, now: datetime | None = None) -> datetime:
    """Midnight after today in the member's own time zone: sessions before it are
    "past or today"."""
    now = now or timezone.now()
    local = now.astimezone(zone(client.timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def member_sessions(client: Client, now: datetime | None = None) -> QuerySet[GroupSession]:
    """Sessions an entry may be about: held (not cancelled) by a group the member has
    or had a place in, starting no later than today."""
    group_ids = Enrollment.objects.filter(client_id=client.pk).values("group_id")
    return GroupSession.objects.filter(
        group_id__in=group_ids,
        status=SessionStatus.SCHEDULED,
        starts_at__lt=end_of_today(client, now),
    )


def session_choices(client: Client, now: datetime | None = None) -> list[GroupSession]:
    """The member's most recent sessions (a short list for the entry form)."""
    now = now or timezone.now()
    return list(
        member_sessions(client, now)
        .filter(starts_at__gte=now - timedelta(days=SESSION_CHOICE_DAYS))
        .select_related("group")
        .order_by("-starts_at", "-id")[:SESSION_CHOICES]
    )


@dataclass(frozen=True)
class Audience:
    """Who reads an entry once it is shared: per group, its lead and co-facilitators."""

    group: TherapyGroup
    names: list[str]


def share_audience(entry: JournalEntry) -> list[Audience]:
    groups = list(
        audience_groups(entry)
        .select_related("lead_facilitator__user")
        .prefetch_related("co_facilitators__user")
    )
    found = []
    for group in groups:
        names = [group.lead_facilitator.user.full_name]
        names += [c.user.full_name for c in group.co_facilitators.all()]
        found.append(Audience(group=group, names=names))
    return found


def record_reads(actor: User, entries: list[JournalEntry], group: TherapyGroup) -> None:
    """One access event per shared entry a facilitator was shown (one insert)."""
    if not entries:
        return
    ctx = context.current()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=actor,
                actor_label=actor.email,
                category=Category.ACCESS,
                action=READ_ACTION,
                client_id=entry.client_id,
                object_type="journal.journalentry",
                object_id=str(entry.pk),
                ip=ctx.ip,
                request_id=ctx.request_id,
                via=ctx.via,
                detail={"group": group.pk},
            )
            for entry in entries
        ]
    )
