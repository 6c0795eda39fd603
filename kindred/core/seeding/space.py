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

from collections.abc import Sequence
from random import Random
from typing import TYPE_CHECKING

from kindred.groups.models import EnrollmentStatus, GroupStatus
from kindred.space import services
from kindred.space.access import SpaceAccess, get_space_for
from kindred.space.models import ModerationMode, Post, ReactionKind

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.groups.models import TherapyGroup

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
        written += _first_group_extras(members, access, fac, lead) if index == 0 else 0
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
