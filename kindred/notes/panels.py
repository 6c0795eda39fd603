"""The home-page panels of notes: for supervisors and admins, sessions with unsigned
notes and notes waiting for one's co-signature (three queries at most); for
facilitators, their own sessions whose notes are still to write or sign (one query)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone

from kindred.notes.access import clinician_ids_for_notes
from kindred.notes.selectors import (
    TO_WRITE_ROWS,
    cosign_queue_count,
    notes_to_write,
    unsigned_sessions,
)
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


def facilitator_notes_panel(actor: User) -> dict[str, Any] | None:
    """ "Notes to write or sign": the facilitator's own sessions, oldest first, each
    linked to its notes screen. Hidden for staff without a clinician profile."""
    if getattr(actor, "clinician", None) is None:
        return None
    rows, total = notes_to_write(actor, timezone.now())
    return {"rows": rows, "total": total, "more": max(total - len(rows), 0), "shown": TO_WRITE_ROWS}
