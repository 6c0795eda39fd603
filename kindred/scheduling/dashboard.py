"""The facilitator's home: today's and upcoming sessions (built in issue 3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kindred.accounts.models import User


def facilitator_home_context(*, actor: User) -> dict[str, Any]:
    return {}
