"""Journal entries are encrypted at rest (kindred/core/crypto.py, bound to the row):
a plaintext canary never reaches the raw columns, the SQL log, an audit event or a
notification, private or shared."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from kindred.audit.models import AuditEvent
from kindred.core import crypto
from kindred.core.testing import Cast, signed_in
from kindred.journal import services
from kindred.journal.models import JournalEntry
from kindred.notifications.models import Notification

CANARY = "CANARY-5d1e-journal-plaintext"
TITLE_CANARY = "CANARY-title-77ab"


def raw(entry_id: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT title, body FROM journal_journalentry WHERE id = %s", [entry_id])
        row = cursor.fetchone()
    assert row is not None
    return row[0], row[1]


def test_the_raw_columns_hold_no_plaintext_and_it_reads_back(cast: Cast) -> None:
    entry = services.entry_create(
        actor=cast.member, client=cast.client, title=TITLE_CANARY, body=CANARY
    )
    title, body = raw(entry.pk)
    assert "CANARY" not in title
    assert "CANARY" not in body
    assert crypto.key_id_of(body) == crypto.DEV_KEY_ID
    again = JournalEntry.objects.get(pk=entry.pk)
    assert (again.title, again.body) == (TITLE_CANARY, CANARY)
    assert "CANARY" not in repr(again)
    assert "CANARY" not in str(again)


def test_a_ciphertext_moved_to_another_entry_does_not_decrypt(cast: Cast) -> None:
    first = services.entry_create(actor=cast.member, client=cast.client, body="first")
    second = services.entry_create(actor=cast.member, client=cast.client, body="second")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE journal_journalentry SET body = %s WHERE id = %s", [raw(first.pk)[1], second.pk]
        )
    with pytest.raises(crypto.DecryptionError):
        _ = JournalEntry.objects.get(pk=second.pk).body


def test_plaintext_never_reaches_the_column_by_another_path(cast: Cast) -> None:
    entry = services.entry_create(actor=cast.member, client=cast.client, body=CANARY)
    with pytest.raises(crypto.PlaintextRefused):
        JournalEntry.objects.filter(pk=entry.pk).update(body="leaked")
    with pytest.raises(crypto.PlaintextRefused):
        JournalEntry.objects.filter(body=CANARY).exists()


def test_no_canary_in_logs_audit_events_or_notifications_through_a_whole_life(
    cast: Cast, caplog: Any, django_capture_on_commit_callbacks: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("django.db.backends").setLevel(logging.DEBUG)
    connection.force_debug_cursor = True
    try:
        member = signed_in(cast.member)
        with django_capture_on_commit_callbacks(execute=True):
            member.post(reverse("web:journal_new"), {"title": TITLE_CANARY, "body": CANARY})
            entry = JournalEntry.objects.get()
            member.get(reverse("web:journal_entry", args=[entry.pk]))
            member.post(
                reverse("web:journal_edit", args=[entry.pk]),
                {"title": TITLE_CANARY, "body": CANARY + " I want to die"},
            )
            member.post(reverse("web:journal_share", args=[entry.pk]))
            signed_in(cast.facilitator).get(reverse("web:journal_group", args=[cast.group_a.pk]))
            member.post(
                reverse("web:journal_edit", args=[entry.pk]),
                {"title": TITLE_CANARY, "body": CANARY + " edited"},
            )
            member.post(reverse("web:journal_unshare", args=[entry.pk]))
            member.post(reverse("web:journal_delete", args=[entry.pk]))
    finally:
        connection.force_debug_cursor = False
        logging.getLogger("django.db.backends").setLevel(logging.WARNING)
    assert "journal_journalentry" in caplog.text  # the SQL was logged...
    assert "CANARY" not in caplog.text  # ...never the text
    events = list(AuditEvent.objects.filter(action__startswith="journal.").values())
    assert {e["action"] for e in events} >= {
        "journal.entry.created",
        "journal.entry.changed",
        "journal.entry.shared",
        "journal.entry.viewed",
        "journal.entry.unshared",
        "journal.entry.deleted",
    }
    assert "CANARY" not in str(events)
    assert "CANARY" not in str(list(Notification.objects.values()))
    assert not JournalEntry.objects.exists()
