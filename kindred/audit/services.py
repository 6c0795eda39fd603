"""Writing audit events. Call these inside the same transaction as the change they
describe, so a change without its audit row cannot be committed (fail closed)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.db import models

from kindred.audit.models import AuditEvent, Category
from kindred.core import context

if TYPE_CHECKING:
    from kindred.accounts.models import User

_ACTION_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){2,3}$")


def _object_ref(obj: models.Model | None) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return f"{obj._meta.app_label}.{obj._meta.model_name}", str(obj.pk)


def audit_record(
    *,
    actor: User | None,
    action: str,
    category: Category,
    obj: models.Model | None = None,
    client_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. ``action`` is a namespaced code: ``<app>.<entity>.<verb>``."""
    if not _ACTION_RE.match(action):
        raise ValueError(f"audit action {action!r} is not <app>.<entity>.<verb>")
    ctx = context.current()
    object_type, object_id = _object_ref(obj)
    authenticated = actor is not None and actor.is_authenticated
    return AuditEvent.objects.create(
        actor=actor if authenticated else None,
        actor_label=actor.email if authenticated and actor is not None else "",
        category=category,
        action=action,
        client_id=client_id,
        object_type=object_type,
        object_id=object_id,
        ip=ctx.ip,
        request_id=ctx.request_id,
        via=ctx.via,
        detail=detail or {},
    )


def audit_access(
    *, actor: User, action: str, obj: models.Model, client_id: int | None = None
) -> AuditEvent:
    """A read of clinical or personal content."""
    return audit_record(
        actor=actor, action=action, category=Category.ACCESS, obj=obj, client_id=client_id
    )


def audit_change(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None,
    client_id: int | None = None,
    changed: list[str] | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """A write. ``changed`` lists field names (never their values)."""
    payload = dict(detail or {})
    if changed is not None:
        payload["fields"] = sorted(changed)
    return audit_record(
        actor=actor,
        action=action,
        category=Category.CHANGE,
        obj=obj,
        client_id=client_id,
        detail=payload,
    )


def audit_denied(
    *, actor: User | None, action: str, object_type: str, object_id: str | int | None
) -> AuditEvent:
    """Someone asked for something that is not theirs (answered with 404)."""
    ctx = context.current()
    authenticated = actor is not None and actor.is_authenticated
    return AuditEvent.objects.create(
        actor=actor if authenticated else None,
        actor_label=actor.email if authenticated and actor is not None else "",
        category=Category.DENIED,
        action=action,
        object_type=object_type,
        object_id=str(object_id or "")[:64],
        ip=ctx.ip,
        request_id=ctx.request_id,
        via=ctx.via,
    )
