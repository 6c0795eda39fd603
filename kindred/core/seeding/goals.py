"""Goals and weekly check-ins for the demo (through the real services) and for the
scale data set (bulk inserts).

Demo, in every running group with at least two member accounts:

- the first member shares a goal with the group and has checked in for the last four
  weeks; another member and the lead facilitator sent support;
- the second member keeps a private goal (two check-ins, none yet this week) and has
  reached another one (celebrated, ``status == "reached"`` with ``reached_at``);
- the third member, when there is one, shares a goal set a fortnight ago with no
  check-in this week, so the facilitator's page shows "no check-in this week yet".

Synthetic, generic text only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from random import Random
from typing import TYPE_CHECKING

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from kindred.goals import services
from kindred.goals.access import get_goal_for
from kindred.goals.models import CheckIn, Goal, GoalStatus, SupportReply
from kindred.groups.models import Enrollment, EnrollmentStatus, GroupStatus, TherapyGroup

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client

SHARED_GOALS = (
    ("Walk for twenty minutes most mornings", "Put my shoes by the door tonight"),
    ("Message one friend each week", "Pick who to write to on Sunday"),
    ("Be in bed by eleven on weeknights", "Set a reminder for 10:30"),
    ("Cook a simple dinner three times a week", "Write a short shopping list"),
)
PRIVATE_GOAL = ("Try the breathing exercise when I feel tense", "Practise it once after lunch")
REACHED_GOAL = ("Book a check-up with my doctor", "")
NOTES = (
    "A slow start, but I got going.",
    "Better than last week.",
    "Busy week; did what I could.",
    "Felt good to keep at it.",
    "",
)
REPLIES = (
    "Four weeks in a row — that is real progress!",
    "Thank you for sharing this, it encourages me too.",
    "Every small step counts. Keep going!",
)
FACILITATOR_REPLY = "Lovely to see this. Bring it to Thursday's session if you like."


def _members(group: TherapyGroup) -> list[tuple[User, Client]]:
    rows = (
        Enrollment.objects.filter(
            group=group, status=EnrollmentStatus.ACTIVE, client__user__isnull=False
        )
        .select_related("client__user")
        .order_by("pk")
    )
    return [(e.client.user, e.client) for e in rows if e.client.user is not None]


def _backdate(goal: Goal, days: int) -> None:
    Goal.objects.filter(pk=goal.pk).update(
        created_at=timezone.now() - timedelta(days=days),
        updated_at=timezone.now() - timedelta(days=days),
    )


def _check_ins(
    user: User, goal: Goal, weeks_ago: Iterable[int], rng: Random, *, start: int = 3
) -> int:
    written = 0
    access = get_goal_for(user, goal.pk)
    level = start
    for ago in weeks_ago:
        level = max(0, min(10, level + rng.choice((0, 1, 1, 2))))
        services.checkin_record(
            actor=user,
            access=access,
            progress=level,
            note=NOTES[(ago + goal.pk) % len(NOTES)],
            now=timezone.now() - timedelta(weeks=ago),
        )
        written += 1
    return written


def seed_demo_goals(groups: Sequence[TherapyGroup], seed: int) -> int:
    """Goals, check-ins and supportive replies in the running ``groups`` with at least
    two member accounts, through the services (audited like a person's own). Returns
    how many goals, check-ins and replies were written."""
    rng = Random(seed + 9)  # noqa: S311 - synthetic data, not secrets
    written = 0
    running = [g for g in groups if g.status == GroupStatus.ACTIVE]
    for index, group in enumerate(running):
        members = _members(group)
        if len(members) < 2:
            continue
        lead = group.lead_facilitator.user
        (first, first_client), (second, second_client) = members[0], members[1]
        what, step = SHARED_GOALS[index % len(SHARED_GOALS)]
        shared = services.goal_create(
            actor=first,
            client=first_client,
            data={
                "what": what,
                "why": "It helps me feel more like myself.",
                "next_step": step,
                "shared_with_group": True,
                "group_id": group.pk,
                "by_when": (timezone.localdate() + timedelta(days=60)).isoformat(),
            },
        )
        _backdate(shared, 30)
        written += 1 + _check_ins(first, shared, (3, 2, 1, 0), rng)
        services.reply_create(
            actor=second,
            access=get_goal_for(second, shared.pk),
            body=REPLIES[index % len(REPLIES)],
        )
        services.reply_create(
            actor=lead, access=get_goal_for(lead, shared.pk), body=FACILITATOR_REPLY
        )
        written += 2
        private = services.goal_create(
            actor=second,
            client=second_client,
            data={
                "what": PRIVATE_GOAL[0],
                "next_step": PRIVATE_GOAL[1],
                "shared_with_group": False,
                "group_id": group.pk,
            },
        )
        _backdate(private, 20)
        written += 1 + _check_ins(second, private, (2, 1), rng, start=2)
        reached = services.goal_create(
            actor=second,
            client=second_client,
            data={"what": REACHED_GOAL[0], "shared_with_group": True, "group_id": group.pk},
        )
        _backdate(reached, 25)
        written += 1 + _check_ins(second, reached, (3, 2), rng, start=6)
        services.goal_set_status(
            actor=second, access=get_goal_for(second, reached.pk), status=GoalStatus.REACHED
        )
        if len(members) > 2:
            third, third_client = members[2]
            what, step = SHARED_GOALS[(index + 1) % len(SHARED_GOALS)]
            waiting = services.goal_create(
                actor=third,
                client=third_client,
                data={
                    "what": what,
                    "next_step": step,
                    "shared_with_group": True,
                    "group_id": group.pk,
                    "nudge_day": 0,
                },
            )
            _backdate(waiting, 14)
            written += 1 + _check_ins(third, waiting, (1,), rng, start=4)
            services.reply_create(
                actor=first,
                access=get_goal_for(first, waiting.pk),
                body=REPLIES[(index + 2) % len(REPLIES)],
            )
            written += 1
    return written


# --- scale -----------------------------------------------------------------------------

#: Share of active members with goals at scale, and how many weeks of check-ins.
SCALE_SHARE = 0.6
SCALE_WEEKS = 12


def _accounts_for(clients: list[tuple[int, str]], tag: str, batch_size: int) -> dict[int, int]:
    """Member accounts (no usable password) for active members who have none, so their
    goals have an owner; returns client id → user id."""
    from kindred.accounts.models import User, UserKind
    from kindred.clients.models import Client

    password = make_password(None)
    users = [
        User(
            email=f"scale-member-{pk}{tag}@members.example.test",
            full_name=name,
            kind=UserKind.MEMBER,
            password=password,
        )
        for pk, name in clients
    ]
    User.objects.bulk_create(users, batch_size=batch_size)
    made = dict(User.objects.filter(email__in=[u.email for u in users]).values_list("email", "pk"))
    links = {pk: made[f"scale-member-{pk}{tag}@members.example.test"] for pk, _name in clients}
    rows = list(Client.objects.filter(pk__in=list(links)))
    for row in rows:
        row.user_id = links[row.pk]
    Client.objects.bulk_update(rows, ["user"], batch_size=batch_size)
    return links


def seed_scale_goals(
    group_ids: Iterable[int],
    *,
    now: datetime,
    seed: int,
    batch_size: int = 2000,
    tag: str = "",
    progress: Callable[[int], object] = lambda n: None,
) -> int:
    """About 60 % of the active members of ``group_ids`` with one or two goals (most
    shared, some reached or set aside), up to twelve weeks of check-ins (a few weeks
    skipped) and a reply on about a third of the shared goals — bulk inserts, no
    audit rows or alerts (synthetic text holds no risk language). Members without an
    account get one (no usable password). Deterministic; returns rows written."""
    rng = Random(f"{seed}:goals")  # noqa: S311 - synthetic data, not secrets
    ids = list(group_ids)
    places = list(
        Enrollment.objects.filter(group_id__in=ids, status=EnrollmentStatus.ACTIVE)
        .order_by("pk")
        .values_list("client_id", "group_id", "client__user_id", "client__preferred_name",
                     "client__legal_first_name")
    )  # fmt: skip
    chosen = []
    seen: set[int] = set()
    for place in places:
        if rng.random() < SCALE_SHARE and place[0] not in seen:  # one group per member
            seen.add(place[0])
            chosen.append(place)
    written = 0
    with transaction.atomic():
        missing = [(c, pref or first) for c, _g, u, pref, first in chosen if u is None]
        links = _accounts_for(missing, tag, batch_size) if missing else {}
        written += len(links)
        goals: list[Goal] = []
        for client_id, group_id, user_id, _pref, _first in chosen:
            owner = user_id or links[client_id]
            for n in range(1 + (rng.random() < 0.4)):
                what, step = SHARED_GOALS[rng.randrange(len(SHARED_GOALS))]
                roll = rng.random()
                status = (
                    GoalStatus.REACHED
                    if roll < 0.1
                    else GoalStatus.SET_ASIDE
                    if roll < 0.15
                    else GoalStatus.ACTIVE
                )
                goals.append(
                    Goal(
                        client_id=client_id,
                        user_id=owner,
                        group_id=group_id,
                        what=what if n == 0 else PRIVATE_GOAL[0],
                        next_step=step,
                        shared_with_group=n == 0 and rng.random() < 0.7,
                        status=status,
                        reached_at=now - timedelta(days=rng.randint(1, 30))
                        if status == GoalStatus.REACHED
                        else None,
                        set_aside_at=now if status == GoalStatus.SET_ASIDE else None,
                        nudge_day=rng.randrange(7),
                    )
                )
        Goal.objects.bulk_create(goals, batch_size=batch_size)
        written += len(goals)
        owners: dict[int, list[int]] = {}
        for goal in goals:
            owners.setdefault(goal.group_id or 0, []).append(goal.user_id)
        progress(len(goals))
        this_monday = services.monday_of(timezone.localdate(now))
        checkins: list[CheckIn] = []
        replies: list[SupportReply] = []
        for goal in goals:
            level = rng.randint(0, 4)
            for ago in range(SCALE_WEEKS, -1, -1):
                if rng.random() < 0.2:
                    continue  # a week skipped
                level = max(0, min(10, level + rng.choice((-1, 0, 1, 1))))
                moment = now - timedelta(weeks=ago)
                checkins.append(
                    CheckIn(
                        goal_id=goal.pk,
                        week_of=this_monday - timedelta(weeks=ago),
                        progress=level,
                        note=NOTES[rng.randrange(len(NOTES))],
                        created_at=moment,
                        updated_at=moment,
                    )
                )
            others = [u for u in owners.get(goal.group_id or 0, []) if u != goal.user_id]
            if goal.shared_with_group and others and rng.random() < 0.33:
                replies.append(
                    SupportReply(
                        goal_id=goal.pk,
                        author_id=rng.choice(others),
                        body=REPLIES[rng.randrange(len(REPLIES))],
                        created_at=now - timedelta(days=rng.randint(0, 20)),
                    )
                )
            if len(checkins) >= batch_size:
                CheckIn.objects.bulk_create(checkins, batch_size=batch_size)
                written += len(checkins)
                progress(len(checkins))
                checkins = []
        CheckIn.objects.bulk_create(checkins, batch_size=batch_size)
        SupportReply.objects.bulk_create(replies, batch_size=batch_size)
        written += len(checkins) + len(replies)
        progress(len(checkins) + len(replies))
    return written
