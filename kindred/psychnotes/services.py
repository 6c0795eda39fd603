"""Writing, deleting and exporting psychotherapy notes (author only).

Each service checks that the actor keeps notes (a clinician), validates, writes and
records its audit event in the notes' own category in the same transaction. Deleting
removes the row — the title and text are gone — and keeps only the audit event that a
note existed and was deleted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.clients.access import visible_clients
from kindred.core.errors import NotPermitted, ValidationFailed
from kindred.core.pdf import html_to_pdf
from kindred.psychnotes import audit, selectors
from kindred.psychnotes.models import BODY_MAX, TITLE_MAX, PsychotherapyNote

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client
    from kindred.scheduling.models import GroupSession

EXPORT_FORMATS = ("json", "pdf")


def _require_clinician(actor: User) -> None:
    if not selectors.may_keep_notes(actor):
        raise NotPermitted(_("Psychotherapy notes are kept by clinicians."))


def _clean(title: str, body: str) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    title = title or ""
    body = body or ""
    if len(title) > TITLE_MAX:
        errors["title"] = [_("Use at most %(n)d characters.") % {"n": TITLE_MAX}]
    if not body.strip():
        errors["body"] = [_("Write the note, or cancel.")]
    elif len(body) > BODY_MAX:
        errors["body"] = [_("Use at most %(n)d characters.") % {"n": BODY_MAX}]
    if errors:
        raise ValidationFailed(errors=errors)
    return title, body


def _check_session(actor: User, client: Client, session: GroupSession | None) -> None:
    if session is None:
        return
    offered = selectors.session_choices(actor=actor, client=client)
    if session.pk not in {s.pk for s in offered}:
        raise ValidationFailed(_("Choose one of this client's sessions."), field="session")


@transaction.atomic
def psychnote_create(
    *,
    actor: User,
    client: Client,
    body: str,
    title: str = "",
    session: GroupSession | None = None,
) -> PsychotherapyNote:
    _require_clinician(actor)
    if not visible_clients(actor).filter(pk=client.pk).exists():
        raise NotPermitted(_("You can keep notes only about clients you see."))
    title, body = _clean(title, body)
    _check_session(actor, client, session)
    note = PsychotherapyNote(author=actor, client=client, session=session, title=title, body=body)
    note.save()
    audit.record(actor, "created", note)
    return note


@transaction.atomic
def psychnote_update(
    *,
    actor: User,
    note: PsychotherapyNote,
    body: str,
    title: str = "",
    session: GroupSession | None = None,
) -> PsychotherapyNote:
    _require_clinician(actor)
    if note.author_id != actor.pk:
        audit.denied(actor, note.pk)
        raise NotPermitted(_("Only the author changes a psychotherapy note."))
    title, body = _clean(title, body)
    _check_session(actor, note.client, session)
    changed = [
        name
        for name, value in (("title", title), ("body", body), ("session", session))
        if getattr(note, name) != value
    ]
    note.title, note.body, note.session = title, body, session
    note.save(update_fields=["title", "body", "session", "updated_at"])
    audit.record(actor, "changed", note, detail={"fields": sorted(changed)})
    return note


@transaction.atomic
def psychnote_delete(*, actor: User, note: PsychotherapyNote) -> None:
    if note.author_id != actor.pk:
        audit.denied(actor, note.pk)
        raise NotPermitted(_("Only the author deletes a psychotherapy note."))
    audit.record(actor, "deleted", note)
    PsychotherapyNote.objects.filter(pk=note.pk, author=actor).delete()


# --- The author's export ---------------------------------------------------------------


@dataclass
class Export:
    filename: str
    content_type: str
    content: bytes


def _note_dict(note: PsychotherapyNote) -> dict[str, Any]:
    session = note.session
    return {
        "id": note.pk,
        "client": {"id": note.client_id, "name": note.client.display_name},
        "session": (
            {
                "id": session.pk,
                "group": session.group.name,
                "starts_at": session.starts_at.isoformat(),
            }
            if session is not None
            else None
        ),
        "created_at": note.created_at.isoformat(),
        "updated_at": note.updated_at.isoformat(),
        "title": note.title,
        "body": note.body,
    }


def export_data(*, actor: User, notes: list[PsychotherapyNote], now: datetime) -> dict[str, Any]:
    return {
        "kind": "kindred.psychotherapy_notes",
        "notice": (
            "Psychotherapy notes: the author's private process notes, kept apart from the "
            "clinical record. Handle as the law on psychotherapy notes requires."
        ),
        "author": {"id": actor.pk, "email": actor.email, "name": actor.full_name},
        "exported_at": now.isoformat(),
        "notes": [_note_dict(n) for n in notes],
    }


@transaction.atomic
def psychnote_export(*, actor: User, fmt: str, client: Client | None = None) -> Export:
    """The actor's own notes (about ``client``, when given) as JSON or PDF; audited in the
    notes' category with the count and format."""
    _require_clinician(actor)
    if fmt not in EXPORT_FORMATS:
        raise ValidationFailed(_("Choose JSON or PDF."), field="format")
    notes = selectors.own_notes(actor).select_related("client", "session__group")
    if client is not None:
        notes = notes.filter(client=client)
    rows = list(notes.order_by("client_id", "created_at", "id"))
    now = timezone.now()
    data = export_data(actor=actor, notes=rows, now=now)
    stamp = timezone.localdate(now).isoformat()
    audit.record(
        actor,
        "exported",
        detail={"format": fmt, "count": len(rows), "for_client": client is not None},
    )
    if fmt == "json":
        return Export(
            filename=f"kindred-psychotherapy-notes-{stamp}.json",
            content_type="application/json",
            content=json.dumps(data, indent=2, ensure_ascii=False).encode(),
        )
    html = render_to_string("web/psychnotes/export_pdf.html", {"data": data, "notes": rows})
    return Export(
        filename=f"kindred-psychotherapy-notes-{stamp}.pdf",
        content_type="application/pdf",
        content=html_to_pdf(html),
    )
