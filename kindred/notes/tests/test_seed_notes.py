"""Session notes in seed_demo: signed notes for most past sessions (co-signed where the
author has a supervisor), one recent session left unsigned, one waiting for co-sign;
written through the services (audited), with no member named in a group note."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from kindred.audit.models import AuditEvent
from kindred.notes import redaction, selectors
from kindred.notes.models import GroupNote, MemberNote, NoteStatus


@pytest.fixture
def demo(db, settings) -> None:
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())


def test_demo_notes(demo):
    notes = list(GroupNote.objects.select_related("session", "author"))
    by_status = {s: sum(1 for n in notes if n.status == s) for s in NoteStatus.values}
    assert by_status[NoteStatus.DRAFT] == 1
    assert by_status[NoteStatus.SIGNED] >= 1  # the one waiting for co-sign, and any unsupervised
    assert by_status[NoteStatus.COSIGNED] >= 1
    assert by_status[NoteStatus.SIGNED] + by_status[NoteStatus.COSIGNED] > by_status["draft"]
    waiting = [n for n in notes if n.awaits_cosign]
    assert waiting
    assert selectors.cosign_queue(actor=_supervisor_of(waiting[0].author))
    assert MemberNote.objects.filter(status=NoteStatus.DRAFT).exists()
    assert AuditEvent.objects.filter(action="notes.group_note.signed").count() == len(
        [n for n in notes if n.is_signed]
    )
    from kindred.clients.models import Client

    people = [redaction.person_of(c) for c in Client.objects.all()]
    for note in notes:
        text = " ".join((note.themes, note.interventions, note.process))
        assert not redaction.names_mentioned(text, people)


def _supervisor_of(author: Any) -> Any:
    from kindred.accounts.models import User
    from kindred.notes.access import supervisor_user_id

    return User.objects.get(pk=supervisor_user_id(author) or 0)
