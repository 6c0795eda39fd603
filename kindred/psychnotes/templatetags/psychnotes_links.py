"""``{% process_notes_link client %}`` and ``{% process_notes_session_link session %}``:
links to the signed-in clinician's own private process notes about a client, or from a
session (nothing for anyone who does not keep notes)."""

from __future__ import annotations

from typing import Any

from django import template

from kindred.psychnotes.selectors import may_keep_notes

register = template.Library()


@register.inclusion_tag("web/psychnotes/_client_link.html", takes_context=True)
def process_notes_link(context: dict[str, Any], client: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"client": client, "show": may_keep_notes(user)}


@register.inclusion_tag("web/psychnotes/_session_link.html", takes_context=True)
def process_notes_session_link(context: dict[str, Any], session: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"session": session, "show": may_keep_notes(user)}
