"""Reads for break-glass pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.db.models.functions import Cast

from kindred.audit.models import AuditEvent
from kindred.breakglass.models import BreakGlassGrant
from kindred.core.access import deny
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability

if TYPE_CHECKING:
    from kindred.accounts.models import User

REVIEW_PAGE_SIZE = 50


def my_grants(actor: User) -> list[BreakGlassGrant]:
    """The actor's active grants (shown on the emergency-access page)."""
    return list(
        BreakGlassGrant.objects.active()
        .filter(user=actor)
        .select_related("client")
        .order_by("expires_at", "id")
    )


def get_own_grant(actor: User, grant_id: object) -> BreakGlassGrant:
    grant = BreakGlassGrant.objects.filter(pk=_int(grant_id) or 0, user=actor).first()
    if grant is None:
        deny(actor, BreakGlassGrant, grant_id)
    return grant


def get_grant_for_review(actor: User, grant_id: object) -> BreakGlassGrant:
    grant = None
    if role_checks.has(actor, Capability.VIEW_AUDIT):
        grant = BreakGlassGrant.objects.filter(pk=_int(grant_id) or 0).first()
    if grant is None:
        deny(actor, BreakGlassGrant, grant_id)
    return grant


def review_list(actor: User, *, show: str = "open") -> QuerySet[BreakGlassGrant]:
    """For the privacy officer: grants waiting for review first (or all), each with how
    many times the record was opened through it. A constant number of queries."""
    role_checks.require(actor, Capability.VIEW_AUDIT)
    opened = (
        AuditEvent.objects.filter(
            action="breakglass.record.opened",
            object_type="breakglass.breakglassgrant",
            object_id=Cast(OuterRef("pk"), output_field=AuditEvent._meta.get_field("object_id")),
        )
        .order_by()
        .values("object_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    grants = BreakGlassGrant.objects.select_related("user", "client", "acknowledged_by")
    if show == "open":
        grants = grants.filter(acknowledged_at__isnull=True)
    return grants.annotate(times_opened=opened[:1], has_opened=Exists(opened)).order_by(
        "-opened_at", "-id"
    )[:REVIEW_PAGE_SIZE]


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None
