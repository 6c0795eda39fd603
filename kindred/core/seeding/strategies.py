"""Coping-strategy cards for the demo (through the real services) and the scale data set
(bulk-inserted).

Demo: in every running group with at least two member accounts, members share a few
cards which the lead facilitator approves, and the others mark them ("I'll try it",
"This helped"); the first group also has a card still waiting for approval and one the
facilitator did not share (with a kind reason); two approved cards are promoted,
reworded, into the practice library. Synthetic, generic text only.

Scale: per group, a handful of shared cards and one waiting (no member accounts exist
at scale, so the cards carry no author and no marks), plus a practice library.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from random import Random
from typing import TYPE_CHECKING

from kindred.clients.models import ConcernTag
from kindred.groups.models import EnrollmentStatus, GroupStatus
from kindred.strategies import services
from kindred.strategies.access import get_card_for, get_library_for
from kindred.strategies.models import MarkKind, Strategy, StrategyStatus

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.groups.models import TherapyGroup

#: (title, what it is, when it helps, concern names)
CARDS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "Five, four, three, two, one",
        (
            "I name **five** things I can see, four I can hear, three I can touch, two I can "
            "smell and one I can taste. By the end my breathing has slowed down."
        ),
        "When a wave of panic starts, especially somewhere I can't leave.",
        ("Anxiety", "Trauma"),
    ),
    (
        "The worry notebook",
        (
            "I keep a small notebook by the bed. When a worry comes at night I write it down "
            "and tell myself it will still be there in the morning."
        ),
        "When worries keep me awake after midnight.",
        ("Anxiety", "Depression"),
    ),
    (
        "A ten-minute walk, no phone",
        (
            "I walk around the block without my phone. I try to notice three colours on the "
            "way.\n\n- no headphones\n- no goal, just ten minutes"
        ),
        "On grey afternoons when everything feels heavy.",
        ("Depression", "Chronic illness"),
    ),
    (
        "Box breathing",
        (
            "Breathe in for four counts, hold for four, out for four, hold for four. Repeat "
            "four times."
        ),
        "Before a hard conversation or an appointment.",
        ("Anxiety",),
    ),
    (
        "A memory box",
        (
            "I made a box with small things that remind me of the person I lost. I open it "
            "when I choose to, instead of the memories choosing me."
        ),
        "On anniversaries and birthdays.",
        ("Grief",),
    ),
    (
        "Asking for one small thing",
        (
            "Instead of saying I'm fine, I ask someone close for one small, specific thing, "
            "like a text in the evening."
        ),
        "When caring for someone else has worn me out.",
        ("Caregiving",),
    ),
)
PENDING = (
    "Cold water reset",
    "I splash cold water on my face and hold a cool cloth on my neck for a minute.",
    "When I feel overwhelmed and can't think straight.",
    ("Anxiety",),
)
DECLINED = (
    "What my old coworker said",
    "Something a person at my old job told me, with their full name and where we worked.",
    "Any time.",
    (),
)
DECLINE_REASON = (
    "Thank you for sharing. It names someone outside the group, so I haven't shared it; "
    "would you like to write it again without the name?"
)
#: The practice-library wording of the first two cards (identifying details removed).
LIBRARY_REWORDING = (
    (
        "Name five things you can see, four you can hear, three you can touch, two you can "
        "smell and one you can taste, slowly."
    ),
    (
        "Keep a notebook by the bed. Write a worry down when it comes and leave it there "
        "until morning."
    ),
)


def _members(group: TherapyGroup) -> list[User]:
    return [
        e.client.user
        for e in group.enrollments.filter(
            status=EnrollmentStatus.ACTIVE, client__user__isnull=False
        )
        .select_related("client__user")
        .order_by("pk")
        if e.client.user is not None
    ]


def _tag_ids(names: Iterable[str]) -> list[int]:
    return list(ConcernTag.objects.filter(name__in=list(names)).values_list("pk", flat=True))


def _share(member: User, group: TherapyGroup, card: tuple[str, str, str, tuple[str, ...]]) -> int:
    title, what, when, concerns = card
    return services.strategy_share(
        actor=member,
        access=get_library_for(member, group.pk),
        title=title,
        what_it_is=what,
        when_it_helps=when,
        concerns=_tag_ids(concerns),
    ).pk


def seed_demo_strategies(groups: list[TherapyGroup], seed: int) -> int:
    """Cards for the running ``groups`` with member accounts. Returns how many cards
    were written (the practice-library copies included)."""
    rng = Random(seed + 88)  # noqa: S311 - synthetic data, not secrets
    written = 0
    promoted = 0
    running = [g for g in groups if g.status == GroupStatus.ACTIVE]
    for index, group in enumerate(running):
        members = _members(group)
        if len(members) < 2:
            continue
        lead = group.lead_facilitator.user
        picks = rng.sample(range(len(CARDS)), k=3)
        for turn, pick in enumerate(picks):
            author = members[(index + turn) % len(members)]
            pk = _share(author, group, CARDS[pick])
            written += 1
            services.strategy_approve(actor=lead, card_access=get_card_for(lead, pk))
            for n, other in enumerate(m for m in members if m.pk != author.pk):
                kinds: tuple[MarkKind, ...] = (
                    (MarkKind.HELPED,) if (n + turn) % 3 == 0 else (MarkKind.TRY,)
                )
                if (n + turn) % 4 == 1:
                    kinds = (MarkKind.TRY, MarkKind.HELPED)
                for kind in kinds:
                    services.mark_add(actor=other, card_access=get_card_for(other, pk), kind=kind)
            if promoted < len(LIBRARY_REWORDING) and pick < len(LIBRARY_REWORDING):
                title, _what, when, concerns = CARDS[pick]
                services.strategy_promote(
                    actor=lead,
                    card_access=get_card_for(lead, pk),
                    title=title,
                    what_it_is=LIBRARY_REWORDING[pick],
                    when_it_helps=when,
                    concerns=_tag_ids(concerns),
                    confirmed_anonymous=True,
                )
                promoted += 1
                written += 1
        if index == 0:
            _share(members[-1], group, PENDING)
            declined = _share(members[0], group, DECLINED)
            services.strategy_decline(
                actor=lead, card_access=get_card_for(lead, declined), reason=DECLINE_REASON
            )
            written += 2
    return written


def seed_scale_strategies(
    group_ids: Iterable[int],
    *,
    now: datetime,
    seed: int,
    batch_size: int = 2000,
    progress: Callable[[int], object] = lambda n: None,
) -> int:
    """Cards for the scale data set, bulk-inserted: for each running group of
    ``group_ids`` four to eight shared cards and one waiting for approval, tagged with
    the group's concerns, and a practice library of one card per twenty groups (at
    least three). Deterministic (seeded); returns rows written (cards and tag links)."""
    from kindred.groups.models import TherapyGroup

    rng = Random(f"{seed}:strategies")  # noqa: S311 - synthetic data, not secrets
    ids = list(group_ids)
    groups = list(
        TherapyGroup.objects.filter(pk__in=ids, status=GroupStatus.ACTIVE)
        .order_by("pk")
        .values_list("pk", "lead_facilitator__user_id")
    )
    focus: dict[int, list[int]] = {}
    links = TherapyGroup.concerns.through.objects.filter(therapygroup_id__in=[g for g, _ in groups])
    for group_id, tag_id in links.values_list("therapygroup_id", "concerntag_id"):
        focus.setdefault(group_id, []).append(tag_id)
    cards: list[Strategy] = []
    tags: list[list[int]] = []

    def add(group_id: int | None, decided_by: int | None, status: str, when: datetime) -> None:
        title, what, helps, _names = CARDS[rng.randrange(len(CARDS))]
        cards.append(
            Strategy(
                group_id=group_id,
                author=None,
                title=title,
                what_it_is=what,
                when_it_helps=helps,
                status=status,
                created_at=when,
                decided_at=when + timedelta(hours=5) if status != StrategyStatus.PENDING else None,
                decided_by_id=decided_by if status != StrategyStatus.PENDING else None,
            )
        )
        tags.append(focus.get(group_id or 0, [])[:2])

    for group_id, lead_user in groups:
        for _n in range(rng.randint(4, 8)):
            add(
                group_id,
                lead_user,
                StrategyStatus.APPROVED,
                now - timedelta(days=rng.randint(2, 120)),
            )
        add(group_id, lead_user, StrategyStatus.PENDING, now - timedelta(hours=rng.randint(1, 48)))
    deciders = [lead for _g, lead in groups if lead is not None]
    for _n in range(max(3, len(groups) // 20)):
        add(
            None,
            deciders[0] if deciders else None,
            StrategyStatus.APPROVED,
            now - timedelta(days=rng.randint(1, 200)),
        )
    written = 0
    for start in range(0, len(cards), batch_size):
        chunk = cards[start : start + batch_size]
        Strategy.objects.bulk_create(chunk, batch_size=batch_size)
        written += len(chunk)
        progress(len(chunk))
    through = Strategy.concerns.through
    rows = [
        through(strategy_id=card.pk, concerntag_id=tag)
        for card, card_tags in zip(cards, tags, strict=True)
        for tag in card_tags
    ]
    through.objects.bulk_create(rows, batch_size=batch_size)
    return written + len(rows)


__all__: Sequence[str] = ("seed_demo_strategies", "seed_scale_strategies")
