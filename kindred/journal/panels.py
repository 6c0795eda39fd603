"""Home-page panels of the journal (kindred/web/home_panels.py lists them)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from kindred.groups.models import Enrollment, EnrollmentStatus
from kindred.journal.access import facilitated_groups, journal_client
from kindred.journal.models import JournalEntry

if TYPE_CHECKING:
    from kindred.accounts.models import User

#: The facilitator's panel counts entries shared within this many days.
RECENT_DAYS = 14


def member_journal_panel(actor: User) -> dict[str, Any] | None:
    """ "Your journal": how many entries, the last one's date, and a link (one query).
    Hidden for anyone who keeps no journal."""
    if not getattr(actor, "is_member", False) or journal_client(actor) is None:
        return None
    latest = (
        JournalEntry.objects.filter(user_id=actor.pk)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
    )
    found = list(latest[:1])
    return {"latest": found[0] if found else None}


def facilitator_journal_panel(actor: User) -> dict[str, Any] | None:
    """ "Shared journal entries": per group the actor leads or co-facilitates, how many
    entries were shared in the last fortnight (two queries). Hidden without groups."""
    groups = list(facilitated_groups(actor).order_by("name", "pk").values_list("pk", "name"))
    if not groups:
        return None
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    recent = (
        JournalEntry.objects.filter(
            Q(session__isnull=True) | Q(session__group_id=OuterRef("group_id")),
            client_id=OuterRef("client_id"),
            shared_with_facilitator=True,
            shared_at__gte=since,
        )
        .order_by()
        .values("client_id")
        .annotate(c=Count("pk"))
        .values("c")
    )
    counts: dict[int, int] = {}
    for group_id, n in (
        Enrollment.objects.filter(
            group_id__in=[pk for pk, _name in groups], status=EnrollmentStatus.ACTIVE
        )
        .annotate(n=Coalesce(Subquery(recent, output_field=IntegerField()), Value(0)))
        .values_list("group_id", "n")
    ):
        counts[group_id] = counts.get(group_id, 0) + n
    rows = [{"group_id": pk, "name": name, "recent": counts.get(pk, 0)} for pk, name in groups]
    return {"rows": rows, "days": RECENT_DAYS}
