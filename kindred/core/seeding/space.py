"""Group spaces for the demo, written through the real services.

In every running demo group that has members with portal accounts: the facilitator's
office hours and rules, a pinned welcome from the facilitator, each member's display
name, a few conversations with replies and reactions. So the pages have something to
show:

- in the first group one post was reported by another member (open report) and one
  post was hidden by the facilitator with a reason (its text kept);
- the second group is pre-moderated and has a post waiting for approval;
- in the first group one member wrote risk language, which raised a safety alert.

Synthetic, generic text only; display names are nicknames, never the members' names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random
from typing import TYPE_CHECKING, Any

from kindred.groups.models import Enrollment, EnrollmentStatus, GroupStatus, TherapyGroup
from kindred.space import services
from kindred.space.access import SpaceAccess, get_space_for
from kindred.space.models import (
    DisplayName,
    ModerationMode,
    Post,
    PostStatus,
    Reaction,
    ReactionKind,
    ReadMarker,
    Space,
    Thread,
)

if TYPE_CHECKING:
    from kindred.accounts.models import User

NICKNAMES = (
    "Sky", "River", "Maple", "Juniper", "Harbor", "Sparrow", "Cedar", "Willow",
    "Pebble", "Fern", "Robin", "Aspen", "Tide", "Clover", "Birch", "Wren",
)  # fmt: skip
RULES = (
    "- Keep what others share here inside the group, as in our sessions.\n"
    "- Use first names or nicknames only; no photos, addresses or phone numbers.\n"
    "- Offer support, not advice, unless someone asks for it.\n"
    "- If you are in crisis, call or text 988 — this space is not watched all the time."
)
WELCOME = (
    "Welcome to our group's space. It is a place to keep in touch between sessions: "
    "share a small win, ask how others handle something, or just say hello.\n\n"
    "I read the space during office hours. Please read the rules above."
)
CONVERSATIONS = (
    (
        "Small wins this week",
        "I went for a short walk every morning this week. It helped more than I expected.",
        (
            "That's **great**. I managed three mornings and felt less foggy.",
            "Thank you for sharing this, it gives me an idea for next week.",
        ),
    ),
    (
        "Sleep tips?",
        "Does anyone have something that helps when the worries start at night?",
        (
            "Writing the worry down and telling myself I'll look at it tomorrow helps me.",
            "- no phone in bed\n- the breathing exercise from session three\n- same time up",
        ),
    ),
    (
        "Before Thursday",
        "I'm nervous about talking in the next session. Anyone else?",
        ("Me too. It got easier after the first few minutes last time.",),
    ),
)
REACTIONS = tuple(ReactionKind)


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


def seed_demo_space(*, groups: Sequence[TherapyGroup], seed: int) -> int:
    """Seed the spaces of ``groups`` (running groups with member accounts only).
    Returns how many posts were written."""
    rng = Random(seed + 8)  # noqa: S311 - synthetic data, not secrets
    written = 0
    running = [g for g in groups if g.status == GroupStatus.ACTIVE]
    nick = 0
    for index, group in enumerate(running):
        members = _members(group)
        if len(members) < 2:
            continue
        lead = group.lead_facilitator.user
        fac = get_space_for(lead, group.pk)
        services.space_settings_update(
            actor=lead,
            access=fac,
            moderation=ModerationMode.POST,
            direct_messages_allowed=False,
            office_hours="Weekdays, 9 am to 5 pm (Central)",
            rules=RULES,
        )
        welcome = services.thread_create(
            actor=lead, access=fac, title="Welcome and how this space works", body=WELCOME
        )
        services.thread_set_flags(actor=lead, access=fac, thread=welcome.thread, pinned=True)
        written += 1
        access: dict[int, SpaceAccess] = {}
        for member in members:
            services.display_name_set(
                actor=member,
                access=get_space_for(member, group.pk),
                name=NICKNAMES[nick % len(NICKNAMES)],
            )
            nick += 1
            access[member.pk] = get_space_for(member, group.pk)
        for turn, (title, body, replies) in enumerate(CONVERSATIONS):
            author = members[turn % len(members)]
            opening = services.thread_create(
                actor=author, access=access[author.pk], title=title, body=body
            )
            written += 1
            for n, text in enumerate(replies):
                replier = members[(turn + n + 1) % len(members)]
                reply = services.post_create(
                    actor=replier, access=access[replier.pk], thread=opening.thread, body=text
                )
                written += 1
                reactor = members[(turn + n + 2) % len(members)]
                if reactor.pk != replier.pk:
                    services.reaction_add(
                        actor=reactor,
                        access=access[reactor.pk],
                        post=reply,
                        kind=rng.choice(REACTIONS),
                    )
            services.reaction_add(
                actor=members[(turn + 1) % len(members)],
                access=access[members[(turn + 1) % len(members)].pk],
                post=opening,
                kind=ReactionKind.WITH_YOU,
            )
        if index == 0:
            written += _first_group_extras(members, access, fac, lead)
            _direct_messages(group, members, fac, lead)
        if index == 1:
            written += _pre_moderated(group, members, fac, lead)
    return written


def _first_group_extras(
    members: list[User], access: dict[int, SpaceAccess], fac: SpaceAccess, lead: User
) -> int:
    """A reported post, a hidden post and a post with risk language."""
    first, second = members[0], members[1]
    a = access[first.pk]
    b = access[second.pk]
    vent = services.thread_create(
        actor=first,
        access=a,
        title="Venting",
        body="Some people in this group clearly don't try as hard as others.",
    )
    services.report_create(
        actor=second, access=b, post=vent, reason="hurtful", note="It felt aimed at me."
    )
    shared = services.post_create(
        actor=second,
        access=b,
        thread=vent.thread,
        body="If anyone wants to talk, my number is 555-0100.",
    )
    services.post_hide(
        actor=lead, access=fac, post=shared, reason="Shares a phone number (space rule 2)."
    )
    hard = Post.objects.filter(thread__space=fac.space, thread__title="Before Thursday").first()
    if hard is not None:
        services.post_create(
            actor=second,
            access=b,
            thread=hard.thread,
            body="Honestly some nights I feel like I want to die. I don't know what to do.",
        )
    return 3


def _direct_messages(
    group: TherapyGroup, members: list[User], fac: SpaceAccess, lead: User
) -> None:
    """The first group's facilitator turns direct messages on; two members exchange a
    couple of messages (the facilitators can read them)."""
    space = fac.space
    services.space_settings_update(
        actor=lead,
        access=fac,
        moderation=space.moderation,
        direct_messages_allowed=True,
        office_hours=space.office_hours,
        rules=space.rules,
    )
    active = [m for m in members if m.is_active]
    if len(active) < 2:
        return
    first, second = active[0], active[1]
    a = get_space_for(first, group.pk)
    convo = services.conversation_start(actor=first, access=a, with_user_id=second.pk)
    services.message_send(
        actor=first, access=a, conversation=convo, body="Thanks for what you said on Thursday."
    )
    services.message_send(
        actor=second,
        access=get_space_for(second, group.pk),
        conversation=convo,
        body="Thank you, that means a lot. See you next week.",
    )


def _pre_moderated(group: TherapyGroup, members: list[User], fac: SpaceAccess, lead: User) -> int:
    services.space_settings_update(
        actor=lead,
        access=fac,
        moderation=ModerationMode.PRE,
        direct_messages_allowed=False,
        office_hours="Monday, Wednesday and Friday mornings",
        rules=RULES,
    )
    author = members[-1]
    services.thread_create(
        actor=author,
        access=get_space_for(author, group.pk),
        title="A question about next week",
        body="Will we still meet if it's a holiday?",
    )
    return 1


# --- the scale data set ----------------------------------------------------------------

SCALE_SENTENCES = (
    "I tried the breathing exercise before work and it took the edge off.",
    "This week was harder than last week, but I kept to my plan most days.",
    "Thank you for saying that, it helped me feel less alone with it.",
    "Does anyone else find Sunday evenings the worst part of the week?",
    "I wrote down three things that went well, like we practised in session.",
    "Small win: I called my sister back instead of putting it off again.",
    "I'm still nervous about the next session, but I'll be there.",
    "Going for a walk at lunch has become a habit now.",
    "I noticed the old thought coming back and named it, like we talked about.",
    "Sleep was better after I put the phone in the other room.",
    "I said no to an extra shift and didn't feel guilty for once.",
    "Sending good thoughts to everyone before Thursday.",
)
SCALE_TITLES = (
    "Small wins this week", "Sleep", "Before the next session", "Weekend plans",
    "What helped today", "A hard day", "Home practice", "Saying no", "Mornings",
    "Work stress", "Checking in", "Something that made me smile",
)  # fmt: skip
#: One conversation in the busiest space is this long (at full scale): the thread page
#: must show a page of it, never all of it.
LONG_THREAD = 10_000
#: Share of posts hidden by a facilitator; share of threads in pre-moderated spaces
#: whose newest post waits for approval; share of member-thread pairs with a marker.
HIDDEN_SHARE = 0.02
PENDING_SHARE = 0.1
MARKER_SHARE = 0.7
REACTION_SHARE = 0.35


def scale_display_name(index: int) -> str:
    """The ``index``-th display name in a space: unique in the space ignoring case
    ("Sky", "River", …, then "Sky 2", …)."""
    base = NICKNAMES[index % len(NICKNAMES)]
    round_ = index // len(NICKNAMES)
    return base if round_ == 0 else f"{base} {round_ + 1}"


def seed_scale_space(
    group_ids: list[int],
    *,
    posts: int,
    now: datetime,
    seed: int,
    tag: str = "",
    batch_size: int = 2000,
    progress: Callable[[int], object] = lambda n: None,
) -> int:
    """Bulk-insert the spaces of the running groups among ``group_ids``: about
    ``posts`` posts (PERFORMANCE.md: 300,000 at 20,000 clients), with display names,
    threads (``last_post_at`` = their newest visible post), hidden posts (with who hid
    them, when and why), posts waiting in pre-moderated spaces, reactions and read
    markers. The busiest space (the first running group) has one conversation of
    ``LONG_THREAD`` posts (fewer on a small data set). Members get switched-off portal
    accounts where they have none. Deterministic for a seed; returns rows written."""
    from kindred.core.seeding.agreements import _scale_accounts

    rng = Random(f"{seed}:space")  # noqa: S311 - synthetic data, not secrets
    running = list(
        TherapyGroup.objects.filter(pk__in=group_ids, status=GroupStatus.ACTIVE)
        .exclude(space__isnull=False)
        .order_by("pk")
        .values_list("pk", "lead_facilitator__user_id")
    )
    places = Enrollment.objects.filter(
        group_id__in=[pk for pk, _ in running], status=EnrollmentStatus.ACTIVE
    ).order_by("group_id", "pk")
    members_of: dict[int, list[int]] = {}
    for group_id, client_id in places.values_list("group_id", "client_id"):
        members_of.setdefault(group_id, []).append(client_id)
    running = [(pk, lead) for pk, lead in running if len(members_of.get(pk, [])) >= 2]
    if not running or posts <= 0:
        return 0
    accounts = _scale_accounts({c for pk, _ in running for c in members_of[pk]}, tag, batch_size)
    written = 0
    spaces = [
        Space(
            group_id=pk,
            moderation=ModerationMode.PRE if n % 5 == 4 else ModerationMode.POST,
            direct_messages_allowed=n % 10 == 9,
            office_hours="Weekdays, 9 am to 5 pm",
            rules=RULES,
        )
        for n, (pk, _lead) in enumerate(running)
    ]
    Space.objects.bulk_create(spaces, batch_size=batch_size)
    progress(len(spaces))
    written += len(spaces)
    names: list[DisplayName] = []
    users_of: dict[int, list[int]] = {}
    for space, (pk, _lead) in zip(spaces, running, strict=True):
        users_of[space.pk] = [accounts[c] for c in members_of[pk]]
        names.extend(
            DisplayName(space=space, user_id=user_id, name=scale_display_name(i))
            for i, user_id in enumerate(users_of[space.pk])
        )
    for start in range(0, len(names), batch_size):
        DisplayName.objects.bulk_create(names[start : start + batch_size])
        progress(len(names[start : start + batch_size]))
    written += len(names)

    # How many posts each space gets: the busiest one its long conversation and a
    # little more; the rest shared out with some spaces livelier than others.
    long_thread = min(LONG_THREAD, max(2, posts // 30))
    first = long_thread + max(10, posts // 100)
    weights = [rng.uniform(0.3, 1.7) for _ in spaces[1:]]
    rest = max(0, posts - first)
    shares = (
        [first] + [max(1, round(rest * w / sum(weights))) for w in weights] if weights else [posts]
    )
    buffer = _ScaleBuffer(batch_size=batch_size, progress=progress, seed=seed)
    for index, (space, (_pk, lead), share) in enumerate(zip(spaces, running, shares, strict=True)):
        members = users_of[space.pk]
        lengths = [long_thread] if index == 0 else []
        left = share - sum(lengths)
        while left > 0:
            n = min(left, rng.choice((1, 2, 3, 4, 6, 8, 10, 14, 20, 30)))
            lengths.append(n)
            left -= n
        for length in lengths:
            buffer.add(_plan_thread(rng, space, lead, members, length, now=now))
            if buffer.pending_posts >= batch_size * 5:
                written += buffer.flush()
    written += buffer.flush()
    return written


@dataclass
class _PlannedThread:
    thread: Thread
    posts: list[Post]
    readers: list[int]  # members with a read marker
    read_share: list[float]  # how far each has read (0..1 of the visible posts)


def _plan_thread(
    rng: Random, space: Space, lead: int, members: list[int], length: int, *, now: datetime
) -> _PlannedThread:
    began = now - timedelta(days=rng.uniform(1, 180))
    span = (now - began).total_seconds()
    moments = sorted(began + timedelta(seconds=rng.uniform(0, span)) for _ in range(length - 1))
    moments.insert(0, began)
    starter = lead if rng.random() < 0.1 else rng.choice(members)
    rows: list[Post] = []
    for n, moment in enumerate(moments):
        author = starter if n == 0 else (lead if rng.random() < 0.1 else rng.choice(members))
        status = PostStatus.VISIBLE
        moderated: dict[str, Any] = {}
        if n > 0 and author != lead and rng.random() < HIDDEN_SHARE:
            status = PostStatus.HIDDEN
            moderated = {
                "moderated_at": moment + timedelta(hours=rng.uniform(0.5, 20)),
                "moderated_by_id": lead,
                "moderation_reason": "Shares contact details (space rule 2).",
            }
        elif (
            n == length - 1
            and n > 0
            and author != lead
            and space.moderation == ModerationMode.PRE
            and rng.random() < PENDING_SHARE
        ):
            status = PostStatus.PENDING
        words = " ".join(rng.sample(SCALE_SENTENCES, k=rng.randint(1, 3)))
        rows.append(
            Post(
                space=space,
                author_id=author,
                body=words,
                created_at=moment,
                status=status,
                **moderated,
            )
        )
    shown = [p.created_at for p in rows if p.status == PostStatus.VISIBLE]
    thread = Thread(
        space=space,
        title=rng.choice(SCALE_TITLES),
        created_by_id=starter,
        created_at=began,
        last_post_at=max(shown, default=began),
        pinned=False,
        locked=rng.random() < 0.01,
    )
    readers = [m for m in members if rng.random() < MARKER_SHARE]
    return _PlannedThread(
        thread=thread,
        posts=rows,
        readers=readers,
        read_share=[rng.choice((1.0, 1.0, 0.9, 0.5)) for _ in readers],
    )


@dataclass
class _ScaleBuffer:
    """Threads planned but not yet written; ``flush`` writes them, their posts, their
    reactions and read markers in a few bulk inserts."""

    batch_size: int
    progress: Callable[[int], object]
    seed: int = 0
    flushes: int = 0
    planned: list[_PlannedThread] = field(default_factory=list)
    pending_posts: int = 0

    def add(self, planned: _PlannedThread) -> None:
        self.planned.append(planned)
        self.pending_posts += len(planned.posts)

    def flush(self) -> int:
        if not self.planned:
            return 0
        self.flushes += 1
        rng = Random(f"{self.seed}:space-flush:{self.flushes}")  # noqa: S311
        threads = [p.thread for p in self.planned]
        Thread.objects.bulk_create(threads, batch_size=self.batch_size)
        posts: list[Post] = []
        for plan in self.planned:
            for post in plan.posts:
                post.thread = plan.thread
            posts.extend(plan.posts)
        Post.objects.bulk_create(posts, batch_size=self.batch_size)
        reactions: list[Reaction] = []
        markers: list[ReadMarker] = []
        kinds = list(ReactionKind)
        for plan in self.planned:
            visible = [p for p in plan.posts if p.status == PostStatus.VISIBLE]
            for post in visible:
                if rng.random() < REACTION_SHARE and plan.readers:
                    who = rng.sample(plan.readers, k=min(len(plan.readers), rng.randint(1, 3)))
                    reactions.extend(
                        Reaction(
                            post=post,
                            user_id=user_id,
                            kind=rng.choice(kinds),
                            created_at=post.created_at + timedelta(hours=1),
                        )
                        for user_id in who
                        if user_id != post.author_id
                    )
            if not visible:
                continue
            for user_id, share in zip(plan.readers, plan.read_share, strict=True):
                upto = visible[max(0, round(len(visible) * share) - 1)]
                markers.append(
                    ReadMarker(
                        thread=plan.thread,
                        user_id=user_id,
                        last_read_post_id=upto.pk,
                        updated_at=upto.created_at + timedelta(hours=2),
                    )
                )
        Reaction.objects.bulk_create(reactions, batch_size=self.batch_size)
        ReadMarker.objects.bulk_create(markers, batch_size=self.batch_size)
        written = len(threads) + len(posts) + len(reactions) + len(markers)
        self.progress(written)
        self.planned = []
        self.pending_posts = 0
        return written
