"""Reads of groups, their sessions and rosters that depend on who asks.

Lists start from ``access.visible_groups`` (the rule is in the query) and load in a
constant number of queries however many rows. The roster (who is in a group) is shown
to those who manage groups and to the group's facilitators only, and reading it writes
an access audit event: who is in a therapy group is sensitive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.audit.services import audit_access
from kindred.clients.access import visible_clients
from kindred.clients.models import Client, ClientStatus, ConcernTag
from kindred.clients.services import search_key
from kindred.core.errors import NotPermitted
from kindred.groups import access
from kindred.groups.models import (
    SEAT_STATUSES,
    Enrollment,
    EnrollmentStatus,
    GroupModality,
    GroupStatus,
    TherapyGroup,
)
from kindred.practice import roles as role_checks
from kindred.practice.models import ClinicianProfile, Room
from kindred.practice.roles import Capability
from kindred.scheduling.models import GroupSession, SessionStatus

if TYPE_CHECKING:
    from kindred.accounts.models import User

STATUS_LIVE = "live"  # forming, active or paused: the list's default
STATUS_ALL = "all"
UPCOMING_ON_DETAIL = 6


@dataclass(frozen=True)
class GroupFilters:
    """What the list page and the API list accept. Empty means "any"."""

    search: str = ""
    status: str = STATUS_LIVE
    modality: str = ""
    facilitator: int | None = None
    concern: int | None = None


def seats_subquery() -> Subquery:
    return Subquery(
        Enrollment.objects.filter(group=OuterRef("pk"), status__in=SEAT_STATUSES)
        .order_by()
        .values("group")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )


def _next_session_subquery(now: datetime) -> Subquery:
    return Subquery(
        GroupSession.objects.filter(
            group=OuterRef("pk"), status=SessionStatus.SCHEDULED, starts_at__gt=now
        )
        .order_by("starts_at")
        .values("starts_at")[:1]
    )


def group_list(
    *, actor: User | None, filters: GroupFilters | None = None
) -> QuerySet[TherapyGroup]:
    """The groups ``actor`` may see, filtered, each with ``seats_taken`` and
    ``next_session_at``; facilitators, place and concerns come in three more queries."""
    f = filters or GroupFilters()
    qs = access.visible_groups(actor)
    if f.search.strip():
        qs = qs.filter(name__icontains=f.search.strip()[:120])
    if f.status == STATUS_LIVE:
        qs = qs.filter(status__in=(GroupStatus.FORMING, GroupStatus.ACTIVE, GroupStatus.PAUSED))
    elif f.status and f.status != STATUS_ALL:
        qs = qs.filter(status=f.status)
    if f.modality:
        qs = qs.filter(modality=f.modality)
    if f.facilitator is not None:
        qs = qs.filter(
            pk__in=TherapyGroup.objects.filter(
                Q(lead_facilitator=f.facilitator) | Q(co_facilitators=f.facilitator)
            ).values("pk")
        )
    if f.concern is not None:
        qs = qs.filter(pk__in=TherapyGroup.objects.filter(concerns=f.concern).values("pk"))
    return (
        qs.annotate(
            seats_taken=Coalesce(seats_subquery(), 0),
            next_session_at=_next_session_subquery(timezone.now()),
        )
        .select_related("lead_facilitator__user", "location", "room")
        .prefetch_related(
            Prefetch("concerns", queryset=ConcernTag.objects.order_by("name", "id")),
            Prefetch(
                "co_facilitators",
                queryset=ClinicianProfile.objects.select_related("user").order_by(
                    "user__full_name", "id"
                ),
            ),
        )
        .order_by("name", "id")
    )


def facilitator_choices(*, actor: User | None) -> QuerySet[ClinicianProfile]:
    """Clinicians who can lead or co-lead a group (active accounts), for forms and
    filters."""
    if actor is None or not getattr(actor, "is_staff_member", False):
        return ClinicianProfile.objects.none()
    return (
        ClinicianProfile.objects.filter(user__is_active=True)
        .select_related("user")
        .order_by("user__full_name", "id")
    )


def room_choices(*, actor: User | None) -> QuerySet[Room]:
    if actor is None or not getattr(actor, "is_staff_member", False):
        return Room.objects.none()
    return (
        Room.objects.filter(is_active=True, location__is_active=True)
        .select_related("location")
        .order_by("location__name", "name", "id")
    )


def can_manage(actor: User | None) -> bool:
    return role_checks.has(actor, Capability.MANAGE_GROUPS)


def can_see_roster(actor: User | None, group: TherapyGroup) -> bool:
    """Group managers and the group's own facilitators; never members."""
    if getattr(actor, "is_member", False):
        return False
    return can_manage(actor) or access.facilitates(actor, group)


def roster(*, actor: User, group: TherapyGroup) -> list[Enrollment]:
    """Everyone who holds or held a place, current places first. Writes an access event.
    Callers check ``can_see_roster`` first; this refuses otherwise."""
    if not can_see_roster(actor, group):
        raise NotPermitted(_("Only the group's facilitators and coordinators see who is in it."))
    audit_access(actor=actor, action="groups.roster.viewed", obj=group)
    rows = list(
        Enrollment.objects.filter(group=group)
        .select_related("client")
        .order_by("client__legal_last_name", "client__legal_first_name", "id")
    )
    order = {s: i for i, s in enumerate(EnrollmentStatus.values)}
    rows.sort(key=lambda e: (order.get(e.status, 9), e.client.legal_last_name))
    return rows


def upcoming_sessions(
    group: TherapyGroup, *, limit: int = UPCOMING_ON_DETAIL
) -> list[GroupSession]:
    now = timezone.now()
    return list(
        GroupSession.objects.filter(group=group, ends_at__gt=now)
        .select_related("room", "location", "substitute_facilitator__user")
        .order_by("starts_at")[:limit]
    )


class SessionWhen:
    UPCOMING = "upcoming"
    PAST = "past"
    ALL = "all"


def session_list(
    *, actor: User | None, group: TherapyGroup, when: str = SessionWhen.UPCOMING
) -> QuerySet[GroupSession]:
    """A group's sessions (the group already obtained through ``access``): upcoming in
    time order, past latest first. Constant queries a page."""
    now = timezone.now()
    qs = GroupSession.objects.filter(group=group).select_related(
        "room", "location", "substitute_facilitator__user"
    )
    if when == SessionWhen.PAST:
        return qs.filter(ends_at__lte=now).order_by("-starts_at", "-id")
    if when == SessionWhen.ALL:
        return qs.order_by("starts_at", "id")
    return qs.filter(ends_at__gt=now).order_by("starts_at", "id")


def group_detail(*, actor: User, group_id: object) -> dict[str, object]:
    """Everything the group page shows, for whoever may see the group."""
    group = access.get_group_for(actor, group_id)
    group = (
        TherapyGroup.objects.filter(pk=group.pk)
        .annotate(seats_taken=Coalesce(seats_subquery(), 0))
        .select_related("lead_facilitator__user", "location", "room", "created_by")
        .prefetch_related(
            Prefetch("concerns", queryset=ConcernTag.objects.order_by("name", "id")),
            Prefetch(
                "co_facilitators",
                queryset=ClinicianProfile.objects.select_related("user").order_by(
                    "user__full_name", "id"
                ),
            ),
        )
        .get()
    )
    show_roster = can_see_roster(actor, group)
    from kindred.groups.directory import fee_text

    return {
        "group": group,
        "fee_text": fee_text(group),
        "upcoming": upcoming_sessions(group),
        "roster": roster(actor=actor, group=group) if show_roster else None,
        "show_roster": show_roster,
        "can_manage": can_manage(actor),
        "is_virtual": group.modality == GroupModality.VIRTUAL,
    }


def invite_candidates(
    *, actor: User, group: TherapyGroup, search: str, limit: int = 20
) -> list[Client]:
    """Active clients whose name matches ``search`` and who hold no place in the group
    (for "Offer a place"). Needs MANAGE_GROUPS."""
    role_checks.require(actor, Capability.MANAGE_GROUPS)
    words = search_key(search).split()[:6]
    if not words:
        return []
    condition = Q()
    for word in words:
        condition &= Q(search_name__startswith=word) | Q(search_name__contains=f" {word}")
    seated = Enrollment.objects.filter(group=group, status__in=SEAT_STATUSES).values("client_id")
    return list(
        visible_clients(actor)
        .filter(condition, status=ClientStatus.ACTIVE)
        .exclude(pk__in=seated)
        .order_by("legal_last_name", "legal_first_name", "id")[:limit]
    )
