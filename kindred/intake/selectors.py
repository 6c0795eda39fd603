"""Reads of referrals and the waitlist that depend on who asks.

Lists are filtered in the query (intake/access.py); opening one referral or one entry —
which shows what the person said about themselves — writes an access audit event. The
waitlist page takes a constant number of queries whatever its length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Min, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kindred.audit.models import Category
from kindred.audit.services import audit_access, audit_record
from kindred.clients.models import LANGUAGE_CHOICES, Client, ConcernTag, Gender, Modality
from kindred.clients.selectors import ClientFilters, client_list, clients_by_ids
from kindred.intake.access import (
    get_entry_for,
    get_referral_for,
    sees_waitlist,
    visible_entries,
    visible_referrals,
)
from kindred.intake.models import (
    OPEN_WAITLIST_STATUSES,
    ContactAttempt,
    PlacementExclusion,
    Referral,
    ReferralStatus,
    Urgency,
    WaitlistEntry,
    WaitlistStatusChange,
    urgency_rank,
)
from kindred.intake.referrals import AvailabilityRow

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.groups.models import TherapyGroup
    from kindred.practice.models import Location

STATUS_OPEN = "open"
STATUS_ALL = "all"
#: "Waiting longer than" choices on the waitlist page, in weeks.
WAIT_WEEKS = (2, 4, 8, 12, 26)
EXCLUSION_SEARCH_LIMIT = 10
_OPEN = [str(s) for s in OPEN_WAITLIST_STATUSES]


# --- Words for how long someone has waited ---------------------------------------------


def waited_words(since: datetime, until: datetime) -> str:
    """How long from ``since`` to ``until``, as a person would say it: "3 days",
    "6 weeks", "4 months"."""
    days = max(0, (until - since).days)
    if days < 1:
        return _("less than a day")
    if days < 14:
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    if days < 7 * 13:
        weeks = days // 7
        return ngettext("%(n)d week", "%(n)d weeks", weeks) % {"n": weeks}
    months = days // 30
    return ngettext("%(n)d month", "%(n)d months", months) % {"n": months}


def possible_duplicate(entry: WaitlistEntry) -> bool:
    """The entry came from a referral that resembled other records and a coordinator
    judged it a different person: two records may still be one person."""
    referral = entry.referral
    if referral is None or not referral.duplicate_candidates:
        return False
    return referral.client_id not in referral.duplicate_candidates


# --- The waitlist ----------------------------------------------------------------------


@dataclass(frozen=True)
class WaitlistFilters:
    """What the waitlist page and the API list accept. Empty means "any"."""

    concern: int | None = None
    state: str = ""
    modality: str = ""  # virtual / in_person: people who can meet that way (or either)
    waited_weeks: int | None = None  # waiting longer than this many weeks
    urgency: str = ""
    status: str = STATUS_OPEN  # "open", "all" or one status
    group: int | None = None

    @property
    def narrowed(self) -> bool:
        return self != WaitlistFilters()


def waitlist_list(
    *, actor: User | None, filters: WaitlistFilters | None = None, now: datetime | None = None
) -> QuerySet[WaitlistEntry]:
    """The entries ``actor`` may see, filtered, most urgent first and then longest
    waiting. Client, group and referral are joined (the referral without what the
    person wrote) and the client's concerns prefetched: two queries for a page."""
    f = filters or WaitlistFilters()
    now = now or timezone.now()
    qs = visible_entries(actor)
    if f.status == STATUS_OPEN:
        qs = qs.filter(status__in=_OPEN)
    elif f.status and f.status != STATUS_ALL:
        qs = qs.filter(status=f.status)
    if f.concern is not None:
        qs = qs.filter(client__concerns=f.concern)
    if f.state:
        qs = qs.filter(client__state_of_residence=f.state)
    if f.modality:
        qs = qs.filter(client__preferred_modality__in=[f.modality, Modality.EITHER])
    if f.waited_weeks:
        qs = qs.filter(added_at__lte=now - timedelta(weeks=f.waited_weeks))
    if f.urgency:
        qs = qs.filter(urgency=f.urgency)
    if f.group is not None:
        qs = qs.filter(group=f.group)
    return (
        qs.select_related("client", "group", "referral")
        .defer("referral__in_their_words", "referral__availability")
        .prefetch_related(
            Prefetch("client__concerns", queryset=ConcernTag.objects.order_by("name", "id"))
        )
        .annotate(urgency_order=urgency_rank())
        .order_by("urgency_order", "added_at", "id")
    )


@dataclass(frozen=True)
class WaitlistRow:
    entry: WaitlistEntry
    waited: str
    possible_duplicate: bool

    @property
    def concerns(self) -> list[ConcernTag]:
        return list(self.entry.client.concerns.all())


def waitlist_rows(entries: Any, *, now: datetime | None = None) -> list[WaitlistRow]:
    """What a page shows for each entry of ``entries`` (from ``waitlist_list``)."""
    now = now or timezone.now()
    return [
        WaitlistRow(
            entry=e,
            waited=waited_words(e.added_at, e.closed_at or now),
            possible_duplicate=possible_duplicate(e),
        )
        for e in entries
    ]


def entry_get(*, actor: User, entry_id: object, write: bool = False) -> WaitlistEntry:
    """One entry: the access check, then an access audit event."""
    entry = get_entry_for(actor, entry_id, write=write)
    audit_access(
        actor=actor, action="intake.waitlist_entry.viewed", obj=entry, client_id=entry.client_id
    )
    return entry


def entry_detail(*, actor: User, entry_id: object, now: datetime | None = None) -> dict[str, Any]:
    """Everything the entry page shows, in a fixed number of queries."""
    now = now or timezone.now()
    entry = entry_get(actor=actor, entry_id=entry_id)
    client = entry.client
    referrals = list(
        Referral.objects.filter(Q(client=client) | Q(pk=entry.referral_id))
        .select_related("group", "created_by")
        .prefetch_related(
            Prefetch("concerns", queryset=ConcernTag.objects.order_by("name")), "locations"
        )
        .order_by("-created_at", "-id")
    )
    this_referral = next((r for r in referrals if r.pk == entry.referral_id), None)
    flagged = False
    candidates: list[Client] = []
    if this_referral is not None:
        ids = list(this_referral.duplicate_candidates or [])
        flagged = bool(ids) and this_referral.client_id not in ids
        candidates = clients_by_ids(actor=actor, ids=ids) if flagged else []
    return {
        "entry": entry,
        "client": client,
        "waited": waited_words(entry.added_at, entry.closed_at or now),
        "possible_duplicate": flagged,
        "candidates": candidates,
        "referrals": [referral_view(r) for r in referrals],
        "contacts": list(
            ContactAttempt.objects.filter(entry=entry).select_related("by").order_by("-at", "-id")
        ),
        "status_changes": list(
            WaitlistStatusChange.objects.filter(entry=entry)
            .select_related("changed_by")
            .order_by("-changed_at", "-id")
        ),
        "exclusions": exclusions_of(client),
        "other_entries": list(
            WaitlistEntry.objects.filter(client=client)
            .exclude(pk=entry.pk)
            .select_related("group")
            .order_by("-added_at", "-id")
        ),
    }


@dataclass(frozen=True)
class ReferralView:
    """A referral as its pages show it (concerns prefetched or loaded once)."""

    referral: Referral
    concerns: list[ConcernTag]
    availability: list[AvailabilityRow]
    offices: list[Location]

    @property
    def language(self) -> str:
        return str(dict(LANGUAGE_CHOICES).get(self.referral.language, self.referral.language))

    @property
    def gender(self) -> str:
        return str(dict(Gender.choices).get(self.referral.gender, self.referral.gender))


def referral_view(referral: Referral) -> ReferralView:
    """Its concerns and offices (prefetched, or one query each)."""
    return ReferralView(
        referral,
        list(referral.concerns.all()),
        availability_of(referral),
        sorted(referral.locations.all(), key=lambda loc: (loc.name, loc.pk)),
    )


def availability_of(referral: Referral) -> list[AvailabilityRow]:
    rows = []
    for raw in referral.availability or []:
        try:
            rows.append(AvailabilityRow.from_json(raw))
        except (KeyError, TypeError, ValueError):
            continue  # an unreadable row is skipped, never fatal
    return rows


@dataclass(frozen=True)
class ExclusionView:
    exclusion: PlacementExclusion
    other: Client  # the person on the other side, seen from the client asked about


def exclusions_of(client: Client) -> list[ExclusionView]:
    """The client's "do not place with" exclusions, from either side (one query)."""
    rows = (
        PlacementExclusion.objects.filter(Q(client=client) | Q(other=client))
        .select_related("client", "other", "created_by")
        .order_by("created_at", "id")
    )
    return [
        ExclusionView(row, row.other if row.client_id == client.pk else row.client) for row in rows
    ]


def exclusion_candidates(*, actor: User, entry: WaitlistEntry, search: str) -> list[Client]:
    """Active clients whose names match ``search`` (for "Do not place with"), not the
    entry's own client, at most ``EXCLUSION_SEARCH_LIMIT``."""
    if not search.strip():
        return []
    found = client_list(actor=actor, filters=ClientFilters(search=search)).exclude(
        pk=entry.client_id
    )
    return list(found[:EXCLUSION_SEARCH_LIMIT])


# --- Referrals ---------------------------------------------------------------------------


def referral_list(
    *, actor: User | None, status: str = ReferralStatus.NEEDS_REVIEW
) -> QuerySet[Referral]:
    """Referrals ``actor`` may see with ``status`` ("all": any), newest first; the read is
    audited (names and contact details of people who may not be clients yet)."""
    qs = visible_referrals(actor)
    if sees_waitlist(actor):
        audit_record(
            actor=actor,
            action="intake.referral.listed",
            category=Category.ACCESS,
            detail={"status": status},
        )
    if status != STATUS_ALL:
        qs = qs.filter(status=status)
    return (
        qs.select_related("group")
        .defer("in_their_words", "availability")
        .order_by("-created_at", "-id")
    )


def referral_get(*, actor: User, referral_id: object, write: bool = False) -> Referral:
    referral = get_referral_for(actor, referral_id, write=write)
    audit_access(
        actor=actor,
        action="intake.referral.viewed",
        obj=referral,
        client_id=referral.client_id,
    )
    return referral


def referral_detail(*, actor: User, referral_id: object) -> dict[str, Any]:
    referral = referral_get(actor=actor, referral_id=referral_id)
    return {
        "referral": referral,
        "view": referral_view(referral),
        "candidates": clients_by_ids(actor=actor, ids=list(referral.duplicate_candidates or []))
        if referral.status == ReferralStatus.NEEDS_REVIEW
        else [],
        "entries": list(referral.entries.select_related("group").order_by("-added_at")),
    }


# --- The coordinator's home panel ----------------------------------------------------------


def coordinator_panel(actor: User) -> dict[str, Any] | None:
    """Waiting count, longest wait, urgent count and referrals needing review, in two
    queries. None (no panel) for anyone who does not see the waitlist."""
    if not sees_waitlist(actor):
        return None
    now = timezone.now()
    open_entries = WaitlistEntry.objects.filter(status__in=_OPEN).aggregate(
        waiting=Count("pk"),
        urgent=Count("pk", filter=Q(urgency=Urgency.URGENT)),
        oldest=Min("added_at"),
    )
    oldest = open_entries["oldest"]
    return {
        "waiting": open_entries["waiting"],
        "urgent": open_entries["urgent"],
        "longest": waited_words(oldest, now) if oldest is not None else "",
        "needs_review": Referral.objects.filter(status=ReferralStatus.NEEDS_REVIEW).count(),
    }


def needs_review_count(actor: User | None) -> int:
    if not sees_waitlist(actor):
        return 0
    return Referral.objects.filter(status=ReferralStatus.NEEDS_REVIEW).count()


# --- The public self-referral form ---------------------------------------------------------


def public_concerns() -> QuerySet[ConcernTag]:
    """The concerns a visitor may choose from (those the practice offers)."""
    return ConcernTag.objects.filter(is_active=True).order_by("name", "id")


def public_group_choices() -> list[tuple[str, str]]:
    """(slug, name) of the groups in the public directory, for "Group you are asking
    about"."""
    from kindred.groups.models import LIVE_STATUSES, TherapyGroup

    return list(
        TherapyGroup.objects.filter(listed_publicly=True, status__in=LIVE_STATUSES)
        .order_by("name", "id")
        .values_list("slug", "name")
    )


def public_group(slug: str) -> TherapyGroup | None:
    """The listed group with this web address name, or None."""
    from kindred.groups.models import LIVE_STATUSES, TherapyGroup

    if not slug:
        return None
    return TherapyGroup.objects.filter(
        slug=slug, listed_publicly=True, status__in=LIVE_STATUSES
    ).first()


def referral_groups(actor: User) -> QuerySet[TherapyGroup]:
    """Groups staff may name on a referral: the live groups they can see."""
    from kindred.groups.access import visible_groups
    from kindred.groups.models import LIVE_STATUSES

    return visible_groups(actor).filter(status__in=LIVE_STATUSES).order_by("name", "id")
