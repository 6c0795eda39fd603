"""Reading psychotherapy notes: only ever the actor's own.

Every query starts from ``own_notes(actor)`` (filtered by author in SQL). Anyone asking
for a note that is not theirs — a practice admin included — gets ``NotFound`` and a
denied event in the notes' own audit category.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from kindred.core.errors import NotFound
from kindred.groups.access import clinician_of
from kindred.psychnotes import audit
from kindred.psychnotes.models import PsychotherapyNote
from kindred.scheduling.access import visible_sessions
from kindred.scheduling.models import GroupSession

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client

#: Sessions offered when linking a note to one.
SESSION_CHOICES = 40


def may_keep_notes(actor: User | None) -> bool:
    """Psychotherapy notes are kept by clinicians (staff with a clinician profile)."""
    return actor is not None and actor.is_active and clinician_of(actor) is not None


def own_notes(actor: User | None) -> QuerySet[PsychotherapyNote]:
    if actor is None or not actor.is_authenticated or not getattr(actor, "is_staff_member", False):
        return PsychotherapyNote.objects.none()
    return PsychotherapyNote.objects.filter(author=actor)


def notes_list(
    *, actor: User, client: Client | None = None, session: GroupSession | None = None
) -> list[PsychotherapyNote]:
    """The actor's own notes (about ``client``, or linked to ``session``, when given),
    newest first; audited as one listing. Titles are decrypted as the page reads them."""
    notes = own_notes(actor).select_related("client", "session__group")
    if client is not None:
        notes = notes.filter(client=client)
    if session is not None:
        notes = notes.filter(session=session)
    rows = list(notes)
    audit.record(
        actor,
        "listed",
        detail={
            "count": len(rows),
            "for_client": client is not None,
            "for_session": session is not None,
        },
    )
    return rows


def get_note_for(actor: User | None, note_id: object, *, audited: bool = True) -> PsychotherapyNote:
    """The note ``note_id`` if ``actor`` wrote it; otherwise a denied event and 404."""
    try:
        pk = int(str(note_id))
    except (TypeError, ValueError):
        pk = None
    note = (
        own_notes(actor).select_related("client", "session__group").filter(pk=pk).first()
        if pk is not None and 0 < pk < 2**63
        else None
    )
    if note is None:
        audit.denied(actor, note_id)
        raise NotFound("No psychotherapy note with that id.")
    if audited and actor is not None:
        audit.record(actor, "viewed", note)
    return note


def session_choices(*, actor: User, client: Client) -> QuerySet[GroupSession]:
    """Sessions the note may be linked to: those of the client's groups that ``actor``
    may see, most recent first."""
    return (
        visible_sessions(actor)
        .filter(group__enrollments__client=client)
        .select_related("group")
        .order_by("-starts_at")
        .distinct()[:SESSION_CHOICES]
    )
