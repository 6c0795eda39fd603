"""Journal entries for the demo and for the scale data set.

Demo (``seed_demo_journal``): in the first running group with member accounts, each
member writes a few private entries (one about a recent session) and shares one with
the group's facilitators, through the real services — so the member's journal and the
facilitator's shared-entries page have something to show. Synthetic, generic text; no
risk language (the group space's demo already raises a risk-language alert).

Scale (``seed_scale_journal``): journal entries for the active members of the given
groups, bulk-inserted. Scale clients have no portal accounts, and a journal belongs to
one, so a share of the active members (``ACCOUNT_SHARE``) get a member account first
(an unusable password: scale accounts never sign in). Each writes a handful of entries,
about one in six shared. The text is encrypted with the current key as the model would,
but with one cipher object for the whole run and the ciphertext handed to the field as
already sealed, so the field does not encrypt it a second time.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from random import Random
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.contrib.auth.hashers import make_password

from kindred.core import crypto
from kindred.groups.models import Enrollment, EnrollmentStatus, GroupStatus
from kindred.journal import services
from kindred.journal.models import JournalEntry
from kindred.scheduling.models import GroupSession, SessionStatus

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client
    from kindred.groups.models import TherapyGroup

TITLES = (
    "After group",
    "A better morning",
    "Things I want to remember",
    "",
    "A hard conversation",
    "Small win",
    "Before next session",
)
BODIES = (
    (
        "I noticed I was quieter than usual today. I want to try saying one thing early on "
        "next time, even something small."
    ),
    "Went for a walk before work. My shoulders were less tense by lunchtime.",
    "Someone in group said they felt the same about the holidays. It helped to hear that.",
    "I used the breathing exercise when the meeting ran long. It worked better than I thought.",
    "Things to bring up next week:\n\n- sleep\n- how to say no to extra shifts\n- the good weekend",
    "Talked to my sister for the first time in a while. It was awkward, but I'm glad I did.",
    "I'm tired today, but I kept my plan for the evening and that feels like something.",
)
SHARED = (
    "I'd like you to know that the week went better than I expected. I practised what we "
    "talked about and I'd like to say more about it in the next session."
)


def _members(group: TherapyGroup) -> list[tuple[User, Client]]:
    places = (
        Enrollment.objects.filter(
            group=group, status=EnrollmentStatus.ACTIVE, client__user__isnull=False
        )
        .select_related("client__user")
        .order_by("pk")
    )
    return [(p.client.user, p.client) for p in places if p.client.user is not None]


def seed_demo_journal(groups: Sequence[TherapyGroup], seed: int) -> int:
    """A few private entries and one shared entry per member of the first running
    group with member accounts. Returns how many entries were written."""
    rng = Random(seed + 12)  # noqa: S311 - synthetic data, not secrets
    for group in groups:
        if group.status != GroupStatus.ACTIVE:
            continue
        members = _members(group)
        if members:
            return _seed_group(group, members, rng)
    return 0


def _seed_group(group: TherapyGroup, members: list[tuple[User, Client]], rng: Random) -> int:
    from django.utils import timezone

    now = timezone.now()
    recent = list(
        GroupSession.objects.filter(
            group=group, status=SessionStatus.SCHEDULED, starts_at__lt=now
        ).order_by("-starts_at")[:3]
    )
    written = 0
    for turn, (user, client) in enumerate(members):
        for n in range(3):
            pick = (turn + n) % len(BODIES)
            entry = services.entry_create(
                actor=user,
                client=client,
                title=TITLES[pick],
                body=BODIES[pick],
                session=recent[0] if n == 0 and recent else None,
            )
            _backdate(entry, now - timedelta(days=2 + 3 * n, hours=rng.randint(0, 10)))
            written += 1
        shared = services.entry_create(
            actor=user, client=client, title="For my facilitator", body=SHARED
        )
        _backdate(shared, now - timedelta(hours=rng.randint(2, 30)))
        services.entry_share(actor=user, entry=shared)
        written += 1
    return written


def _backdate(entry: JournalEntry, when: datetime) -> None:
    JournalEntry.objects.filter(pk=entry.pk).update(created_at=when, updated_at=when)


# --- scale ------------------------------------------------------------------------------

#: About this share of the active members get an account and keep a journal.
ACCOUNT_SHARE = 0.25
ENTRIES_PER_WRITER = (2, 10)
SHARED_SHARE = 1 / 6
SCALE_EMAIL_DOMAIN = "journal.scale.invalid"


class _Sealer:
    """Encrypts many values with one cipher object (the field's format and binding)."""

    def __init__(self) -> None:
        ring = crypto.keyring()
        self.key_id = ring.current_id.encode("ascii")
        self.aead = AESGCM(ring.current)
        self.table = JournalEntry._meta.db_table

    def seal(self, text: str, column: str, identity: uuid.UUID) -> crypto.Sealed | str:
        if not text:
            return text
        nonce = os.urandom(crypto.NONCE_BYTES)
        aad = crypto.associated_data(self.table, column, str(identity))
        sealed = self.aead.encrypt(nonce, text.encode("utf-8"), aad)
        blob = bytes([crypto.FORMAT_VERSION, len(self.key_id)]) + self.key_id + nonce + sealed
        return crypto.Sealed(base64.urlsafe_b64encode(blob).decode("ascii"))


def _writers(group_ids: list[int], rng: Random, tag: str) -> list[tuple[int, int, int]]:
    """(user id, client id, group id) of the members who keep a journal, giving a
    member account to those chosen who have none (bulk)."""
    from kindred.accounts.models import User, UserKind
    from kindred.clients.models import Client

    places = list(
        Enrollment.objects.filter(group_id__in=group_ids, status=EnrollmentStatus.ACTIVE)
        .order_by("client_id", "pk")
        .values_list("client_id", "group_id")
    )
    first_group: dict[int, int] = {}
    for client_id, group_id in places:
        first_group.setdefault(client_id, group_id)
    chosen = [c for c in first_group if rng.random() < ACCOUNT_SHARE]
    rows = dict(Client.objects.filter(pk__in=chosen).values_list("pk", "user_id"))
    missing = [c for c in chosen if rows.get(c) is None]
    password = make_password(None)
    users = [
        User(
            email=f"member{c}{tag}@{SCALE_EMAIL_DOMAIN}",
            full_name=f"Member {c}",
            kind=UserKind.MEMBER,
            password=password,
        )
        for c in missing
    ]
    User.objects.bulk_create(users, batch_size=1000)
    by_client = {c: u.pk for c, u in zip(missing, users, strict=True)}
    updates = [Client(pk=c, user_id=by_client[c]) for c in missing]
    Client.objects.bulk_update(updates, ["user"], batch_size=1000)
    return [(rows.get(c) or by_client[c], c, first_group[c]) for c in chosen if c in first_group]


def seed_scale_journal(
    group_ids: Iterable[int],
    *,
    now: datetime,
    seed: int,
    tag: str = "",
    batch_size: int = 2000,
    progress: Callable[[int], object] = lambda n: None,
) -> int:
    """Entries for about a quarter of the active members of ``group_ids`` (2-10 each,
    over the last 120 days; about one in six shared, some about a past session of their
    group). Deterministic apart from the ciphertexts' nonces; returns rows written
    (entries, plus one per writer for the account made or reused)."""
    ids = list(group_ids)
    # The tag is in the seed: a second scale set (``--force``) gets its own uids.
    rng = Random(f"{seed}:journal{tag}")  # noqa: S311 - synthetic data, not secrets
    writers = _writers(ids, rng, tag)
    sessions: dict[int, list[int]] = {}
    for pk, group_id in (
        GroupSession.objects.filter(
            group_id__in=ids, status=SessionStatus.SCHEDULED, starts_at__lt=now
        )
        .order_by("group_id", "-starts_at")
        .values_list("pk", "group_id")
    ):
        if len(sessions.setdefault(group_id, [])) < 12:
            sessions[group_id].append(pk)
    sealer = _Sealer()
    written = 0
    batch: list[JournalEntry] = []
    for user_id, client_id, group_id in writers:
        for _n in range(rng.randint(*ENTRIES_PER_WRITER)):
            when = now - timedelta(minutes=rng.randint(60, 120 * 24 * 60))
            uid = uuid.UUID(int=rng.getrandbits(128), version=4)
            pick = rng.randrange(len(BODIES))
            shared = rng.random() < SHARED_SHARE
            own = sessions.get(group_id) or []
            entry = JournalEntry(
                uid=uid,
                user_id=user_id,
                client_id=client_id,
                session_id=rng.choice(own) if own and rng.random() < 0.4 else None,
                created_at=when,
                updated_at=when,
                shared_with_facilitator=shared,
                shared_at=when + timedelta(minutes=5) if shared else None,
                risk_categories=[],
            )
            entry.title = sealer.seal(TITLES[pick], "title", uid)
            entry.body = sealer.seal(BODIES[pick], "body", uid)
            batch.append(entry)
            if len(batch) >= batch_size:
                written += _flush(batch, batch_size, progress)
    written += _flush(batch, batch_size, progress)
    return written + len(writers)


def _flush(batch: list[JournalEntry], batch_size: int, progress: Callable[[int], object]) -> int:
    if not batch:
        return 0
    JournalEntry.objects.bulk_create(batch, batch_size=batch_size)
    count = len(batch)
    progress(count)
    batch.clear()
    return count
