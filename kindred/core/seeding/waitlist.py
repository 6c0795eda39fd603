"""Referrals and the waitlist, for the demo practice and the scale data set.

- ``seed_demo_waitlist``: about fifteen people waiting, made through the real services
  (intake/referrals.py and intake/waitlist.py), so the demo shows what a coordinator
  sees: self-referrals and partner referrals, some urgent, two from states the practice
  does not serve, one possible duplicate waiting for review, contact attempts, a status
  change with its reason and a "do not place with" pair.
- ``seed_scale_waitlist``: PERFORMANCE.md's 10,000 waitlist entries at 20,000 clients
  (one client in two), bulk-inserted with their referrals, contact attempts, status
  changes and exclusions; deterministic for a seed.

Everything is invented (see core/seeding/__init__.py); what people "wrote" is generic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from random import Random
from typing import TYPE_CHECKING, Any

from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from kindred.clients.models import Client
from kindred.core.seeding import names
from kindred.intake.models import (
    OPEN_WAITLIST_STATUSES,
    ContactAttempt,
    ContactMethod,
    ContactOutcome,
    ExclusionReason,
    PlacementExclusion,
    Referral,
    ReferralSource,
    ReferralStatus,
    Urgency,
    WaitlistEntry,
    WaitlistStatus,
    WaitlistStatusChange,
)
from kindred.intake.referrals import AvailabilityRow, fingerprint, referral_submit
from kindred.intake.waitlist import (
    CLOSED_STATUSES,
    contact_attempt_add,
    exclusion_add,
    waitlist_add,
    waitlist_set_status,
)

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import ConcernTag
    from kindred.groups.models import TherapyGroup

Progress = Callable[[int], object]

#: Generic things people write when they ask for a group (no real person's words).
WORDS: tuple[str, ...] = (
    "I'd like to talk with other people going through something similar.",
    "My counsellor suggested a group might help alongside our sessions.",
    "Things have been harder since the move and I would like some support.",
    "Looking for a group in the evenings, after work.",
    "I have not done a group before and feel a bit nervous about it.",
    "",
)
REASONS: dict[str, tuple[str, ...]] = {
    WaitlistStatus.UNREACHABLE: ("Three calls and an email, no reply", "Number not in service"),
    WaitlistStatus.WITHDRAWN: ("Found a group nearer home", "Schedule changed; will ask again"),
    WaitlistStatus.REFERRED_ELSEWHERE: (
        "Referred to individual therapy first",
        "Referred to a specialist service",
    ),
    WaitlistStatus.PLACED: ("",),
}


# --- The demo ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoReferral:
    weeks_ago: int
    state: str
    urgency: str
    source: str = ReferralSource.SELF
    group: str = ""  # a demo group's name
    modality: str = "either"


DEMO_REFERRALS: tuple[DemoReferral, ...] = (
    DemoReferral(11, "IL", Urgency.ROUTINE, group="Lakeview grief circle"),
    DemoReferral(9, "IL", Urgency.SOON, ReferralSource.CLINICIAN, modality="in_person"),
    DemoReferral(8, "FL", Urgency.ROUTINE, group="Harbor caregivers"),
    DemoReferral(7, "TX", Urgency.SOON, modality="virtual"),  # out of state
    DemoReferral(6, "KS", Urgency.URGENT, ReferralSource.PARTNER, modality="virtual"),
    DemoReferral(5, "IL", Urgency.ROUTINE, group="Steady Ground: living with anxiety"),
    DemoReferral(4, "FL", Urgency.URGENT),
    DemoReferral(3, "MO", Urgency.ROUTINE, ReferralSource.PARTNER),  # out of state
    DemoReferral(2, "KS", Urgency.SOON, group="Saturday open circle"),
    DemoReferral(1, "IL", Urgency.URGENT, ReferralSource.CLINICIAN, modality="virtual"),
    DemoReferral(0, "FL", Urgency.ROUTINE),
)
#: Existing demo clients (not in a group) the coordinator put on the waitlist by hand.
DEMO_EXISTING = 4


def seed_demo_waitlist(
    *,
    coordinator: User,
    clients: Sequence[Client],
    concerns: Sequence[ConcernTag],
    groups: Sequence[TherapyGroup],
    rng: Random,
    email_domain: str = "example.test",
) -> int:
    """The demo practice's waitlist; returns the number of entries."""
    now = timezone.now()
    by_name = {g.name: g for g in groups}
    entries: list[WaitlistEntry] = []
    used: set[tuple[str, str]] = {(c.legal_first_name, c.legal_last_name) for c in clients}
    for spec in DEMO_REFERRALS:
        name = names.person_name(rng)
        while (name.first, name.last) in used:
            name = names.person_name(rng)
        used.add((name.first, name.last))
        when = now - timedelta(weeks=spec.weeks_ago, days=rng.randint(0, 5))
        submission = _demo_referral(
            spec, name=name, when=when, coordinator=coordinator, concerns=concerns,
            group=by_name.get(spec.group), rng=rng, email_domain=email_domain,
        )  # fmt: skip
        if submission is not None:
            entries.append(submission)
    # One person refers themselves again under a slightly different email: it resembles
    # their record, so it waits for the coordinator's review.
    twin = entries[0].client
    yesterday = now - timedelta(days=1)
    referral_submit(
        actor=None,
        first_name=twin.legal_first_name,
        last_name=twin.legal_last_name,
        date_of_birth=twin.date_of_birth,
        state=twin.state_of_residence,
        email=f"{twin.legal_first_name}.{twin.legal_last_name}.2@{email_domain}".lower(),
        urgency=Urgency.SOON,
        in_their_words=WORDS[0],
        shown_at=yesterday - timedelta(minutes=3),
        now=yesterday,
    )
    in_groups = {e.client_id for g in groups for e in g.enrollments.all()}
    waiting = [c for c in clients if c.pk not in in_groups][:DEMO_EXISTING]
    for k, client in enumerate(waiting):
        entries.append(
            waitlist_add(
                actor=coordinator,
                client=client,
                urgency=(Urgency.ROUTINE, Urgency.SOON)[k % 2],
                now=now - timedelta(weeks=14 + 3 * k),
            )
        )
    _demo_follow_up(coordinator=coordinator, entries=entries, now=now, rng=rng)
    return len(entries)


def _demo_referral(
    spec: DemoReferral,
    *,
    name: names.PersonName,
    when: datetime,
    coordinator: User,
    concerns: Sequence[ConcernTag],
    group: TherapyGroup | None,
    rng: Random,
    email_domain: str,
) -> WaitlistEntry | None:
    state_for_phone = spec.state if spec.state in names.AREA_CODES else "IL"
    staff = spec.source != ReferralSource.SELF
    windows = [
        AvailabilityRow(day, start, end)
        for day, start, end in rng.sample(_WINDOWS, k=rng.choice((1, 2, 2, 3)))
    ]
    submission = referral_submit(
        actor=coordinator if staff else None,
        source=spec.source,
        first_name=name.first,
        last_name=name.last,
        date_of_birth=names.birth_date(rng, today=when.date()),
        state=spec.state,
        email=names.email_for(name, email_domain),
        phone=names.fictional_phone(rng, state_for_phone),
        concerns=rng.sample(list(concerns), k=min(len(concerns), rng.choice((1, 2)))),
        in_their_words=rng.choice(WORDS),
        preferred_modality=spec.modality,
        availability=windows,
        urgency=spec.urgency,
        group=group,
        referrer_name="Dr Sam Referrer" if spec.source == ReferralSource.CLINICIAN else (
            "Northside Community Center" if spec.source == ReferralSource.PARTNER else ""
        ),
        referrer_email="referrals@partner.example.test" if staff else "",
        shown_at=when - timedelta(minutes=4),
        now=when,
    )  # fmt: skip
    return submission.entry


_WINDOWS: tuple[tuple[int, time, time], ...] = (
    (0, time(17, 30), time(20, 30)),
    (1, time(18, 0), time(21, 0)),
    (2, time(12, 0), time(13, 30)),
    (3, time(18, 0), time(20, 30)),
    (5, time(9, 0), time(12, 0)),
)


def _demo_follow_up(
    *, coordinator: User, entries: list[WaitlistEntry], now: datetime, rng: Random
) -> None:
    """What a coordinator did since: calls and emails, one person reached, one
    unreachable, one referred elsewhere, and a pair who must not share a group."""
    attempts = [
        (0, ContactMethod.PHONE, ContactOutcome.NO_ANSWER, "Left no message; will try evenings."),
        (0, ContactMethod.EMAIL, ContactOutcome.LEFT_MESSAGE, ""),
        (1, ContactMethod.PHONE, ContactOutcome.REACHED, "Keen to start; evenings suit."),
        (2, ContactMethod.PHONE, ContactOutcome.LEFT_MESSAGE, "Voicemail."),
        (4, ContactMethod.SMS, ContactOutcome.REACHED, "Happy to wait for an online group."),
        (6, ContactMethod.PHONE, ContactOutcome.NO_ANSWER, ""),
        (6, ContactMethod.EMAIL, ContactOutcome.NO_ANSWER, ""),
        (6, ContactMethod.PHONE, ContactOutcome.WRONG_DETAILS, "Number not in service."),
    ]
    for k, (index, method, outcome, note) in enumerate(attempts):
        entry = entries[index]
        at = min(now, entry.added_at + timedelta(days=2 + k, hours=rng.randint(1, 8)))
        contact_attempt_add(
            actor=coordinator, entry=entry, at=at, method=method, outcome=outcome, note=note,
            now=now,
        )  # fmt: skip
    waitlist_set_status(
        actor=coordinator,
        entry=entries[6],
        status=WaitlistStatus.UNREACHABLE,
        reason="Three attempts, and the number is not in service.",
        now=now,
    )
    waitlist_set_status(
        actor=coordinator,
        entry=entries[3],
        status=WaitlistStatus.REFERRED_ELSEWHERE,
        reason="Lives in Texas: referred to a practice licensed there.",
        now=now,
    )
    exclusion_add(
        actor=coordinator,
        client=entries[1].client,
        other=entries[5].client,
        reason=ExclusionReason.COWORKER,
        note="Work in the same office.",
    )


# --- Scale -----------------------------------------------------------------------------------

STATUS_WEIGHTS: dict[str, int] = {
    WaitlistStatus.WAITING: 50,
    WaitlistStatus.CONTACTED: 18,
    WaitlistStatus.SCREENING: 5,
    WaitlistStatus.OFFERED: 3,
    WaitlistStatus.DEFERRED: 2,
    WaitlistStatus.PLACED: 8,
    WaitlistStatus.UNREACHABLE: 6,
    WaitlistStatus.WITHDRAWN: 5,
    WaitlistStatus.REFERRED_ELSEWHERE: 3,
}
URGENCY_WEIGHTS: dict[str, int] = {Urgency.ROUTINE: 70, Urgency.SOON: 22, Urgency.URGENT: 8}
SOURCE_WEIGHTS: dict[str, int] = {
    ReferralSource.SELF: 55,
    ReferralSource.PARTNER: 20,
    ReferralSource.CLINICIAN: 15,
    ReferralSource.STAFF: 10,
}
_OPEN = frozenset(str(s) for s in OPEN_WAITLIST_STATUSES)
METHODS = (ContactMethod.PHONE, ContactMethod.PHONE, ContactMethod.EMAIL, ContactMethod.SMS)


def _pick(rng: Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def seed_scale_waitlist(
    *,
    client_ids: Sequence[int],
    concern_ids: Sequence[int],
    groups: Sequence[TherapyGroup],
    coordinator_ids: Sequence[int],
    rng: Random,
    now: datetime,
    batch_size: int,
    progress: Progress,
) -> int:
    """One waitlist entry (with its referral) for every second client, plus one
    referral in a hundred held for duplicate review; contact attempts, status changes
    and exclusions. Returns the rows written."""
    if not client_ids:
        return 0
    chosen = rng.sample(list(client_ids), k=max(1, len(client_ids) // 2))
    live = [g.pk for g in groups if g.status in ("forming", "active")]
    written = 0
    for start in range(0, len(chosen), batch_size):
        written += _scale_batch(
            chosen[start : start + batch_size],
            concern_ids=concern_ids,
            group_ids=live,
            coordinator_ids=coordinator_ids,
            rng=rng,
            now=now,
            progress=progress,
        )
    written += _scale_reviews(chosen, rng=rng, now=now, batch_size=batch_size, progress=progress)
    written += _scale_exclusions(
        chosen, rng=rng, coordinator_ids=coordinator_ids, progress=progress
    )
    return written


@dataclass
class _Row:
    client: dict[str, Any]
    status: str
    added_at: datetime
    group_id: int | None
    urgency: str
    source: str


def _scale_batch(
    ids: list[int],
    *,
    concern_ids: Sequence[int],
    group_ids: Sequence[int],
    coordinator_ids: Sequence[int],
    rng: Random,
    now: datetime,
    progress: Progress,
) -> int:
    people = {
        row["pk"]: row
        for row in Client.objects.filter(pk__in=ids).values(
            "pk", "legal_first_name", "legal_last_name", "date_of_birth", "email", "phone",
            "state_of_residence", "preferred_modality", "language",
        )
    }  # fmt: skip
    rows: list[_Row] = []
    for pk in ids:
        status = _pick(rng, STATUS_WEIGHTS)
        # Open entries are mostly recent (a few months); closed ones older.
        days = rng.expovariate(1 / 60) if status in _OPEN else rng.uniform(30, 700)
        rows.append(
            _Row(
                client=dict(people[pk]),
                status=status,
                added_at=now - timedelta(days=min(days, 720), minutes=rng.randrange(1440)),
                group_id=rng.choice(group_ids) if group_ids and rng.random() < 0.3 else None,
                urgency=_pick(rng, URGENCY_WEIGHTS),
                source=_pick(rng, SOURCE_WEIGHTS),
            )
        )
    referrals = Referral.objects.bulk_create(_referral(rng, row) for row in rows)
    concern_rows = [
        Referral.concerns.through(referral_id=r.pk, concerntag_id=tag)
        for r in referrals
        for tag in rng.sample(list(concern_ids), k=min(len(concern_ids), rng.choice((1, 1, 2))))
    ]
    Referral.concerns.through.objects.bulk_create(concern_rows)
    entries = WaitlistEntry.objects.bulk_create(
        _entry(rng, row, referral, now) for row, referral in zip(rows, referrals, strict=True)
    )
    # Timestamps as if each row had been written when it happened.
    ref_ids = [r.pk for r in referrals]
    Referral.objects.filter(pk__in=ref_ids).update(
        created_at=Subquery(
            WaitlistEntry.objects.filter(referral=OuterRef("pk")).values("added_at")[:1]
        ),
        updated_at=Subquery(
            WaitlistEntry.objects.filter(referral=OuterRef("pk")).values("added_at")[:1]
        ),
    )
    WaitlistEntry.objects.filter(pk__in=[e.pk for e in entries]).update(
        created_at=F("added_at"), updated_at=F("added_at")
    )
    contacts, changes = _history(rng, entries, coordinator_ids=coordinator_ids, now=now)
    ContactAttempt.objects.bulk_create(contacts)
    WaitlistStatusChange.objects.bulk_create(changes)
    total = len(referrals) + len(concern_rows) + len(entries) + len(contacts) + len(changes)
    progress(total)
    return total


def _referral(rng: Random, row: _Row) -> Referral:
    c = row.client
    staff = row.source != ReferralSource.SELF
    weekday, start, end = rng.choice(_WINDOWS)
    return Referral(
        source=row.source,
        status=ReferralStatus.ACCEPTED,
        first_name=c["legal_first_name"],
        last_name=c["legal_last_name"],
        date_of_birth=c["date_of_birth"],
        email=c["email"],
        phone=c["phone"],
        state=c["state_of_residence"],
        in_their_words=rng.choice(WORDS),
        preferred_modality=c["preferred_modality"],
        language=c["language"],
        availability=[AvailabilityRow(weekday, start, end).as_json()],
        urgency=row.urgency,
        group_id=row.group_id,
        referrer_name="Synthetic Referrer" if staff else "",
        referrer_organisation="Partner Organisation (synthetic)"
        if row.source == ReferralSource.PARTNER
        else "",
        client_id=c["pk"],
        fingerprint=fingerprint(
            first_name=c["legal_first_name"],
            last_name=c["legal_last_name"],
            date_of_birth=c["date_of_birth"],
            email=c["email"],
            phone=c["phone"],
            group_id=row.group_id,
        ),
    )


def _entry(rng: Random, row: _Row, referral: Referral, now: datetime) -> WaitlistEntry:
    closed_at = None
    if row.status in CLOSED_STATUSES:
        span = max(1.0, (now - row.added_at).total_seconds())
        closed_at = row.added_at + timedelta(seconds=rng.uniform(0.1, 1.0) * span)
    reason = rng.choice(REASONS.get(row.status, ("",)))
    revisit = None
    if row.status == WaitlistStatus.DEFERRED:
        revisit = (now + timedelta(days=rng.randint(14, 90))).date()
    return WaitlistEntry(
        client_id=row.client["pk"],
        referral=referral,
        group_id=row.group_id,
        status=row.status,
        urgency=row.urgency,
        added_at=row.added_at,
        status_reason=reason,
        revisit_on=revisit,
        closed_at=closed_at,
    )


def _history(
    rng: Random,
    entries: list[WaitlistEntry],
    *,
    coordinator_ids: Sequence[int],
    now: datetime,
) -> tuple[list[ContactAttempt], list[WaitlistStatusChange]]:
    contacts: list[ContactAttempt] = []
    changes: list[WaitlistStatusChange] = []
    for entry in entries:
        by = rng.choice(coordinator_ids) if coordinator_ids else None
        end = entry.closed_at or now
        span = max(60.0, (end - entry.added_at).total_seconds())
        waiting = entry.status == WaitlistStatus.WAITING
        count = rng.choice((0, 0, 1)) if waiting else rng.randint(1, 3)
        for k in range(count):
            last = k == count - 1 and entry.status != WaitlistStatus.UNREACHABLE
            contacts.append(
                ContactAttempt(
                    entry=entry,
                    at=entry.added_at + timedelta(seconds=span * (k + 1) / (count + 1)),
                    method=rng.choice(METHODS),
                    outcome=ContactOutcome.REACHED
                    if last and entry.status != WaitlistStatus.WAITING
                    else rng.choice((ContactOutcome.NO_ANSWER, ContactOutcome.LEFT_MESSAGE)),
                    by_id=by,
                )
            )
        if entry.status != WaitlistStatus.WAITING:
            changes.append(
                WaitlistStatusChange(
                    entry=entry,
                    from_status=WaitlistStatus.WAITING,
                    status=entry.status,
                    reason=entry.status_reason,
                    changed_by_id=by,
                    changed_at=entry.closed_at or (entry.added_at + timedelta(seconds=span / 2)),
                )
            )
    return contacts, changes


def _scale_reviews(
    chosen: list[int], *, rng: Random, now: datetime, batch_size: int, progress: Progress
) -> int:
    """A referral in a hundred resembles a client already waiting (same name and date of
    birth, another email) and waits for a coordinator's review."""
    sample = rng.sample(chosen, k=max(1, len(chosen) // 100))
    people = Client.objects.filter(pk__in=sample).values(
        "pk", "legal_first_name", "legal_last_name", "date_of_birth", "state_of_residence"
    )
    rows = []
    for c in people:
        email = f"{c['legal_first_name']}.{c['legal_last_name']}.{c['pk']}@again.example.test"
        rows.append(
            Referral(
                source=ReferralSource.SELF,
                status=ReferralStatus.NEEDS_REVIEW,
                first_name=c["legal_first_name"],
                last_name=c["legal_last_name"],
                date_of_birth=c["date_of_birth"],
                email=email.lower(),
                state=c["state_of_residence"],
                in_their_words=rng.choice(WORDS),
                preferred_modality="either",
                urgency=_pick(rng, URGENCY_WEIGHTS),
                duplicate_candidates=[c["pk"]],
                fingerprint=fingerprint(
                    first_name=c["legal_first_name"],
                    last_name=c["legal_last_name"],
                    date_of_birth=c["date_of_birth"],
                    email=email,
                    phone="",
                    group_id=None,
                ),
            )
        )
    Referral.objects.bulk_create(rows, batch_size=batch_size)
    Referral.objects.filter(pk__in=[r.pk for r in rows]).update(
        created_at=now - timedelta(days=1), updated_at=now - timedelta(days=1)
    )
    progress(len(rows))
    return len(rows)


def _scale_exclusions(
    chosen: list[int], *, rng: Random, coordinator_ids: Sequence[int], progress: Progress
) -> int:
    """One "do not place with" pair per fifty people waiting."""
    pairs: set[tuple[int, int]] = set()
    want = max(1, len(chosen) // 50) if len(chosen) > 1 else 0
    while len(pairs) < want:
        a, b = rng.sample(chosen, k=2)
        pairs.add((min(a, b), max(a, b)))
    rows = [
        PlacementExclusion(
            client_id=a,
            other_id=b,
            reason=rng.choice(list(ExclusionReason)),
            created_by_id=rng.choice(coordinator_ids) if coordinator_ids else None,
        )
        for a, b in sorted(pairs)
    ]
    PlacementExclusion.objects.bulk_create(rows)
    progress(len(rows))
    return len(rows)
