"""The home-page panel of notes: sessions with unsigned notes, and notes waiting for
one's co-signature (three queries at most)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone

from kindred.notes.access import clinician_ids_for_notes
from kindred.notes.selectors import cosign_queue_count, unsigned_sessions
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability

if TYPE_CHECKING:
    from kindred.accounts.models import User


def notes_panel(actor: User) -> dict[str, Any] | None:
    """Hidden for staff who neither write, supervise nor oversee notes."""
    ids = clinician_ids_for_notes(actor)
    if ids == []:
        return None
    return {
        "unsigned": unsigned_sessions(actor, timezone.now()).count(),
        "cosign": cosign_queue_count(actor),
        "can_configure": role_checks.has(actor, Capability.MANAGE_PRACTICE),
    }
