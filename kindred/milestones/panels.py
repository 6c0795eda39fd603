"""Home-page panels (kindred/web/home_panels.py): one query each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kindred.groups.models import GroupStatus
from kindred.milestones import words
from kindred.milestones.models import Milestone, MilestoneState
from kindred.space.access import visible_space_groups

if TYPE_CHECKING:
    from kindred.accounts.models import User


def member_milestone_panel(actor: User) -> dict[str, Any] | None:
    """A member's newest suggested milestone, inviting them to share it (one query)."""
    if not getattr(actor, "is_member", False):
        return None
    found = list(
        Milestone.objects.filter(client__user=actor, state=MilestoneState.SUGGESTED)
        .select_related("group")
        .order_by("-happened_at", "-pk")[:2]
    )
    if not found:
        return None
    milestone = found[0]
    return {
        "milestone": milestone,
        "title": words.title(milestone.kind),
        "reason": words.private_reason(milestone.kind),
        "more": len(found) > 1,
    }


def facilitator_trends_panel(actor: User) -> dict[str, Any] | None:
    """The running groups a facilitator leads or co-leads, with links to their shared
    milestones and anonymous trends (one query)."""
    if not getattr(actor, "is_staff_member", False):
        return None
    groups = list(
        visible_space_groups(actor)
        .filter(status=GroupStatus.ACTIVE)
        .order_by("name", "pk")
        .values("pk", "name")[:10]
    )
    return {"groups": groups} if groups else None
