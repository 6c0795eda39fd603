"""Seeding journal entries: the demo through the services, the scale set in bulk with
the same encryption (entries read back and decrypt)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from kindred.clients.models import Client
from kindred.core import crypto
from kindred.core.seeding import journal as seeding
from kindred.core.testing import Cast
from kindred.journal.access import shared_with_group
from kindred.journal.models import JournalEntry
from kindred.measures.models import SafetyAlert


def test_demo_private_entries_and_one_shared_per_member_of_the_first_group(cast: Cast) -> None:
    written = seeding.seed_demo_journal([cast.group_a, cast.group_b], seed=7)
    assert written == 8  # two members with accounts in the first group, four each
    assert JournalEntry.objects.filter(client=cast.outsider_client).count() == 0
    for client in (cast.client, cast.client_b):
        mine = JournalEntry.objects.filter(client=client)
        assert mine.count() == 4
        assert mine.filter(shared_with_facilitator=True).count() == 1
        assert mine.filter(session__isnull=False).count() == 1
        assert all(e.body for e in mine)
    assert shared_with_group(cast.group_a).count() == 2
    assert not SafetyAlert.objects.exists()


def test_scale_entries_decrypt_and_accounts_are_made_only_where_missing(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seeding, "ACCOUNT_SHARE", 1.0)  # every active member writes
    Client.objects.filter(pk=cast.outsider_client.pk).update(user=None)
    before = {cast.client.pk: cast.member.pk, cast.client_b.pk: cast.member_b.pk}
    now = timezone.now()
    written = seeding.seed_scale_journal(
        [cast.group_a.pk, cast.group_b.pk], now=now, seed=3, batch_size=5
    )
    entries = list(JournalEntry.objects.all())
    assert written == len(entries) + 3
    assert {e.client_id for e in entries} == {
        cast.client.pk,
        cast.client_b.pk,
        cast.outsider_client.pk,
    }
    for client_id, user_id in before.items():
        assert {e.user_id for e in entries if e.client_id == client_id} == {user_id}
    outsider = Client.objects.get(pk=cast.outsider_client.pk)
    assert outsider.user is not None
    assert outsider.user.is_member
    assert not outsider.user.has_usable_password()
    for entry in entries:
        assert entry.body in seeding.BODIES
        assert entry.title in seeding.TITLES
        assert entry.created_at < now
        assert entry.shared_with_facilitator == (entry.shared_at is not None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM journal_journalentry")
        raw = [r[0] for r in cursor.fetchall()]
    assert all(crypto.key_id_of(b) == crypto.DEV_KEY_ID for b in raw)
    assert not any(b in seeding.BODIES for b in raw)
