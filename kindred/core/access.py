"""Helpers for the per-app access functions (``<app>/access.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from django.db import models

from kindred.audit.services import audit_denied
from kindred.core.errors import NotFound

if TYPE_CHECKING:
    from kindred.accounts.models import User


def deny(actor: User | None, model: type[models.Model], object_id: object) -> NoReturn:
    """Record a denied attempt and answer "not found": someone else's record is a 404."""
    label = f"{model._meta.app_label}.{model._meta.model_name}"
    audit_denied(
        actor=actor,
        action=f"{model._meta.app_label}.{model._meta.model_name}.denied",
        object_type=label,
        object_id=str(object_id)[:64],
    )
    raise NotFound(f"No {model._meta.verbose_name} with that id.")


def parse_object_id(value: object) -> int | None:
    """An id from a URL or a request body as a positive 64-bit integer, else None (so a
    look-up with it finds nothing instead of raising on bad input)."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None
