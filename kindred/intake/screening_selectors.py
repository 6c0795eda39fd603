"""Reads of screenings that depend on who asks.

Lists start from ``screening_access.visible_screenings`` (the rule is in the query) and
load in a constant number of queries. A screening is clinical: opening one writes an
access audit event, and so does a list that shows decisions (one event per page, naming
the screenings shown, never their content).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from kindred.audit.models import Category
from kindred.audit.services import audit_access, audit_record
from kindred.clients.services import search_key
from kindred.groups.models import Enrollment
from kindred.intake.models import Screening, ScreeningDecision, WaitlistEntry
from kindred.intake.screening_access import (
    get_screening_for,
    screenable_clients,
    visible_screenings,
    waiting_entries,
)
from kindred.measures.models import Administration, AdministrationStatus

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client

STATUS_DRAFT = "draft"
STATUS_DECIDED = "decided"
#: How many of a client's completed questionnaires a screening shows.
SCORES_SHOWN = 10
PANEL_ROWS = 5
CANDIDATE_SEARCH_LIMIT = 20


@dataclass(frozen=True)
class ScreeningFilters:
    """What the list page and the API list accept. Empty means "any"."""

    status: str = ""  # "draft", "decided" or ""
    decision: str = ""
    client: int | None = None
    group: int | None = None
    mine: bool = False  # only the ones the actor screens


def screening_list(
    *, actor: User | None, filters: ScreeningFilters | None = None
) -> QuerySet[Screening]:
    """Screenings ``actor`` may read, newest first, with client, group and screener
    joined in the same query. Reading the rows shown is audited by the caller with
    ``audit_listed`` (it knows which page is shown)."""
    f = filters or ScreeningFilters()
    qs = visible_screenings(actor)
    if f.status == STATUS_DRAFT:
        qs = qs.filter(decided_at__isnull=True)
    elif f.status == STATUS_DECIDED:
        qs = qs.filter(decided_at__isnull=False)
    if f.decision:
        qs = qs.filter(decision=f.decision)
    if f.client is not None:
        qs = qs.filter(client_id=f.client)
    if f.group is not None:
        qs = qs.filter(group_id=f.group)
    if f.mine and actor is not None:
        qs = qs.filter(screener=actor)
    return qs.select_related("client", "group", "screener").order_by("-created_at", "-id")


def audit_listed(*, actor: User, screenings: list[Screening], client_id: int | None) -> None:
    """One access event for a page of screenings (their ids, no content)."""
    if not screenings:
        return
    audit_record(
        actor=actor,
        action="intake.screening.listed",
        category=Category.ACCESS,
        client_id=client_id,
        detail={"screenings": [s.pk for s in screenings]},
    )


def screening_get(*, actor: User, screening_id: object, write: bool = False) -> Screening:
    """Open one screening: the access check, then an access audit event."""
    screening = get_screening_for(actor, screening_id, write=write)
    audit_access(
        actor=actor, action="intake.screening.viewed", obj=screening, client_id=screening.client_id
    )
    return screening


def intake_scores(client: Client, *, limit: int = SCORES_SHOWN) -> list[Administration]:
    """The client's completed questionnaires, latest first (instrument, total, band,
    date). Read only beside a screening the actor may read (and whose reading is
    audited)."""
    return list(
        Administration.objects.filter(client=client, status=AdministrationStatus.COMPLETED)
        .select_related("instrument")
        .order_by("-completed_at", "-id")[:limit]
    )


def screening_detail(*, actor: User, screening_id: object) -> dict[str, Any]:
    """Everything the screening page shows, in a fixed number of queries."""
    screening = screening_get(actor=actor, screening_id=screening_id)
    history = list(
        visible_screenings(actor)
        .filter(client_id=screening.client_id, group_id=screening.group_id)
        .exclude(pk=screening.pk)
        .select_related("screener")
        .order_by("-created_at", "-id")[:10]
    )
    return {
        "screening": screening,
        "scores": intake_scores(screening.client),
        "history": history,
        "superseded_by": next(
            (s for s in history if s.decided_at and s.created_at > screening.created_at), None
        ),
    }


def candidate_context(*, client: Client) -> dict[str, Any]:
    """What a new screening's page shows about the candidate (their scores, and any
    earlier screenings are listed by the caller from ``screening_list``)."""
    return {"scores": intake_scores(client)}


def candidate_search(*, actor: User, search: str) -> list[Client]:
    """Clients ``actor`` may screen whose name matches (for "Start a screening")."""
    words = search_key(search).split()[:6]
    if not words:
        return []
    condition = Q()
    for word in words:
        condition &= Q(search_name__startswith=word) | Q(search_name__contains=f" {word}")
    return list(
        screenable_clients(actor)
        .filter(condition)
        .order_by("legal_last_name", "legal_first_name", "id")[:CANDIDATE_SEARCH_LIMIT]
    )


def candidates_waiting(*, actor: User, limit: int = 20) -> list[WaitlistEntry]:
    """Open waitlist entries for the groups ``actor`` facilitates that nobody is
    screening yet, longest waiting first."""
    drafts = Screening.objects.filter(
        client=OuterRef("client_id"), group=OuterRef("group_id"), decided_at__isnull=True
    )
    return list(
        waiting_entries(actor)
        .exclude(Exists(drafts))
        .select_related("client", "group")
        .order_by("added_at", "id")[:limit]
    )


def awaiting_decision(*, actor: User, limit: int = PANEL_ROWS) -> tuple[int, list[Screening]]:
    """The drafts ``actor`` screens: how many, and the oldest few (two queries)."""
    drafts = Screening.objects.filter(screener=actor, decided_at__isnull=True)
    count = drafts.count()
    rows = list(drafts.select_related("client", "group").order_by("created_at", "id")[:limit])
    return count, rows


def decision_label(screening: Screening) -> str:
    if screening.decided_at is None:
        return _("Draft")
    return str(ScreeningDecision(screening.decision).label)


def admitted_for_group(client_field: str = "client_id", group_field: str = "group_id") -> Exists:
    """Whether the row's client has a decided admit for the row's group: for ordering a
    group's waitlist so that admitted candidates waiting for a place come first."""
    return Exists(
        Screening.objects.filter(
            client=OuterRef(client_field),
            group=OuterRef(group_field),
            decision=ScreeningDecision.ADMIT,
            decided_at__isnull=False,
        )
    )


def holds_place(client: Client, group_id: int) -> bool:
    from kindred.groups.models import SEAT_STATUSES

    return Enrollment.objects.filter(
        client=client, group_id=group_id, status__in=SEAT_STATUSES
    ).exists()


# --- Home-page panels (web/home_panels.py) ------------------------------------------------


def facilitator_panel(actor: User) -> dict[str, Any] | None:
    """The screenings waiting for ``actor``'s decision and the candidates waiting for
    their groups (three queries). Hidden for staff who do not screen."""
    from kindred.intake.screening_access import may_screen

    if not may_screen(actor):
        return None
    count, rows = awaiting_decision(actor=actor)
    return {
        "awaiting_count": count,
        "awaiting": rows,
        "waiting": candidates_waiting(actor=actor, limit=PANEL_ROWS),
    }


def coordinator_panel(actor: User) -> dict[str, Any] | None:
    """How many screenings are in progress, and the way to the funnel (one query)."""
    from kindred.practice import roles as role_checks
    from kindred.practice.roles import Capability

    if not role_checks.has(actor, Capability.VIEW_INTAKE_REPORTS):
        return None
    return {"in_progress": Screening.objects.filter(decided_at__isnull=True).count()}
