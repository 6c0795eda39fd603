"""The member's home: their upcoming sessions (built in issue 3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kindred.accounts.models import User


def member_home_context(*, actor: User) -> dict[str, Any]:
    return {"client": getattr(actor, "client", None)}
