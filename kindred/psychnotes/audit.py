"""Audit events of psychotherapy notes, all in their own category
(``Category.PSYCHOTHERAPY_NOTES``): created, changed, deleted, viewed, listed, exported
and denied. No event names the client (so the client's activity list and the audit
filters by client do not reveal that process notes exist) and none holds any text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kindred.audit.models import AuditEvent, Category
from kindred.audit.services import audit_record
from kindred.core import context

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.psychnotes.models import PsychotherapyNote

OBJECT_TYPE = "psychnotes.psychotherapynote"


def record(
    actor: User,
    verb: str,
    note: PsychotherapyNote | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    return audit_record(
        actor=actor,
        action=f"psychnotes.note.{verb}",
        category=Category.PSYCHOTHERAPY_NOTES,
        obj=note,
        detail=detail,
    )


def denied(actor: User | None, object_id: object) -> AuditEvent:
    """Someone asked for a note that is not theirs (they get 404)."""
    ctx = context.current()
    authenticated = actor is not None and actor.is_authenticated
    return AuditEvent.objects.create(
        actor=actor if authenticated else None,
        actor_label=actor.email if authenticated and actor is not None else "",
        category=Category.PSYCHOTHERAPY_NOTES,
        action="psychnotes.note.denied",
        object_type=OBJECT_TYPE,
        object_id=str(object_id or "")[:64],
        ip=ctx.ip,
        request_id=ctx.request_id,
        via=ctx.via,
    )
