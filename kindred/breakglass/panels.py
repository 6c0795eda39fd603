"""Home-page panels (kindred/web/home_panels.py): admins see uses of emergency access
waiting for review (first, when there are any); clinicians see their open grants and
where to ask for one. One query each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kindred.breakglass.access import may_break_glass
from kindred.breakglass.models import BreakGlassGrant
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability

if TYPE_CHECKING:
    from kindred.accounts.models import User


def review_panel(actor: User) -> dict[str, Any] | None:
    """Hidden unless something waits for review."""
    if not role_checks.has(actor, Capability.VIEW_AUDIT):
        return None
    waiting = BreakGlassGrant.objects.unacknowledged().count()
    return {"waiting": waiting} if waiting else None


def clinician_panel(actor: User) -> dict[str, Any] | None:
    if not may_break_glass(actor) or role_checks.has(actor, Capability.VIEW_ALL_CLIENTS):
        return None
    grants = list(
        BreakGlassGrant.objects.active()
        .filter(user=actor)
        .select_related("client")
        .order_by("expires_at", "id")[:5]
    )
    return {"grants": grants}
