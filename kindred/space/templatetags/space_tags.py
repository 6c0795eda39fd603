"""Template helpers for links into a group's space from other pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def leads_space_of(user: Any, group: Any) -> bool:
    """Is ``user`` the lead or a co-facilitator of ``group`` (so its space is theirs to
    moderate)? Uses what the page already loaded (the lead, the prefetched
    co-facilitators): no query of its own."""
    user_id = getattr(user, "pk", None)
    if user_id is None or group is None:
        return False
    lead = getattr(group, "lead_facilitator", None)
    if lead is not None and lead.user_id == user_id:
        return True
    return any(c.user_id == user_id for c in group.co_facilitators.all())
