"""Links from the account-closure pages to record destruction (practice admins only):
``{% purge_due_link %}`` on the list of requests, ``{% purge_section item %}`` on a
closed request's page (its retention, hold and a link to destroy it when due)."""

from __future__ import annotations

from typing import Any

from django import template

from kindred.datarights import purge
from kindred.datarights.models import ClosureRequest, ClosureStatus
from kindred.practice import roles
from kindred.practice.roles import Capability

register = template.Library()


def _admin(context: Any) -> bool:
    request = context.get("request")
    return request is not None and roles.has(request.user, Capability.MANAGE_PRACTICE)


@register.inclusion_tag("web/datarights/_purge_due_link.html", takes_context=True)
def purge_due_link(context: Any) -> dict[str, Any]:
    return {"show": _admin(context)}


@register.inclusion_tag("web/datarights/_purge_section.html", takes_context=True)
def purge_section(context: Any, item: ClosureRequest) -> dict[str, Any]:
    show = _admin(context) and item.status == ClosureStatus.CLOSED
    return {"show": show, "item": item, "due": show and purge.is_due(item)}
