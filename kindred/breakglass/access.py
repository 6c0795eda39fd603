"""What a break-glass grant adds to the ordinary record-access rules.

``kindred.clients.access.visible_clients`` (the one place that answers "may this person
see this client?") adds :func:`granted_client_ids` to what a clinician sees, and
``get_client_for`` calls :func:`flag_access` when a record was reached only through a
grant, so every such access is audited with the grant and its reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from kindred.audit.models import Category
from kindred.audit.services import audit_record
from kindred.breakglass.models import BreakGlassGrant
from kindred.practice.roles import Role

if TYPE_CHECKING:
    from kindred.accounts.models import User

#: Roles that may break the glass: clinicians, who see only their own groups' members.
#: (Admins and intake coordinators see every record already; billing sees none.)
CLINICAL_ROLES = frozenset({Role.FACILITATOR, Role.SUPERVISOR})
DEFAULT_MINUTES = 60


def grant_minutes() -> int:
    return int(getattr(settings, "KINDRED_BREAKGLASS_MINUTES", DEFAULT_MINUTES))


def may_break_glass(actor: User | None) -> bool:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return False
    if not getattr(actor, "is_staff_member", False):
        return False
    return bool(CLINICAL_ROLES & actor.roles)


def granted_client_ids(actor: User) -> QuerySet[BreakGlassGrant, Any]:
    """A subquery of the client ids ``actor`` holds an active grant for."""
    return BreakGlassGrant.objects.filter(
        user=actor, ended_at__isnull=True, expires_at__gt=timezone.now()
    ).values("client_id")


def active_grant(actor: User, client_id: int) -> BreakGlassGrant | None:
    if not may_break_glass(actor):
        return None
    return (
        BreakGlassGrant.objects.active()
        .filter(user=actor, client_id=client_id)
        .order_by("-expires_at")
        .first()
    )


def flag_access(actor: User, grant: BreakGlassGrant) -> None:
    """Record one access to a record through a grant (the reason travels with it)."""
    audit_record(
        actor=actor,
        action="breakglass.record.opened",
        category=Category.ACCESS,
        obj=grant,
        client_id=grant.client_id,
        detail={"grant": grant.pk, "reason": grant.reason[:500], "flag": "break_glass"},
    )
