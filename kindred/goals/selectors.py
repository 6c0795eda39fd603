"""Reading goals in a fixed number of queries, whatever how many there are.

Every function starts from what ``access`` allows. Members of a group see a shared goal
under its owner's space display name (or "A group member"), never the real name, its
"why", or a check-in note that held risk language. Staff reads of a member's goals write
access events (one insert for a whole group).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.audit.models import AuditEvent, Category
from kindred.core import context
from kindred.goals.access import (
    GoalAccess,
    active_groups_of,
    shared_goals_q,
    staff_goal_groups,
    visible_goals,
)
from kindred.goals.models import PROGRESS_MAX, CheckIn, Goal, GoalStatus, ReplyStatus, SupportReply
from kindred.goals.services import monday_of, today_in, week_of_for
from kindred.groups.models import Enrollment, EnrollmentStatus, TherapyGroup

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client

#: Weeks of check-ins in a goal's chart and history.
HISTORY_WEEKS = 26
#: Weeks of check-ins in a facilitator's trend line.
TREND_WEEKS = 8
#: Shared goals shown per group, and replies shown per goal on the group page.
SHARED_LIMIT = 100
REPLIES_SHOWN = 20
ANONYMOUS = "A group member"

CHART_W = 300
CHART_H = 120
CHART_PAD = 10


# --- charts ----------------------------------------------------------------------------


@dataclass
class ChartPoint:
    x: float
    y: float
    week_of: date
    progress: int


@dataclass
class Chart:
    """An inline SVG line of weekly progress (0–10), oldest on the left; the same
    figures are listed in a table beside it for screen readers."""

    points: list[ChartPoint]
    width: int = CHART_W
    height: int = CHART_H

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def gridlines(self) -> list[tuple[int, float]]:
        return [(v, self._y(v)) for v in (0, 5, 10)]

    def _y(self, progress: int) -> float:
        usable = self.height - 2 * CHART_PAD
        return CHART_PAD + usable * (1 - progress / PROGRESS_MAX)


def chart_of(checkins: list[CheckIn], *, width: int = CHART_W, height: int = CHART_H) -> Chart:
    """``checkins`` newest first (as stored); the chart runs oldest → newest."""
    ordered = sorted(checkins, key=lambda c: c.week_of)
    chart = Chart(points=[], width=width, height=height)
    if not ordered:
        return chart
    first = ordered[0].week_of
    span = max((ordered[-1].week_of - first).days // 7, 1)
    usable = width - 2 * CHART_PAD
    for checkin in ordered:
        index = (checkin.week_of - first).days // 7
        x = CHART_PAD + usable * index / span if len(ordered) > 1 else width / 2
        chart.points.append(
            ChartPoint(
                x=x,
                y=chart._y(checkin.progress),
                week_of=checkin.week_of,
                progress=checkin.progress,
            )
        )
    return chart


# --- names -----------------------------------------------------------------------------


@dataclass
class Author:
    label: str  # what members see: the display name, "A group member", or staff's name
    is_facilitator: bool = False
    real_name: str = ""  # staff viewers only


def _display_names(group_ids: set[int], user_ids: set[int]) -> dict[tuple[int, int], str]:
    from kindred.space.models import DisplayName

    if not group_ids or not user_ids:
        return {}
    rows = DisplayName.objects.filter(
        space__group_id__in=group_ids, user_id__in=user_ids
    ).values_list("space__group_id", "user_id", "name")
    return {(g, u): name for g, u, name in rows}


def _authors(group_id: int | None, user_ids: set[int], *, staff_viewer: bool) -> dict[int, Author]:
    """How each writer is named in one group. Two queries."""
    from kindred.accounts.models import User as UserModel

    found: dict[int, Author] = {}
    if not user_ids:
        return found
    names = _display_names({group_id} if group_id else set(), user_ids)
    for pk, full_name, kind in UserModel.objects.filter(pk__in=user_ids).values_list(
        "pk", "full_name", "kind"
    ):
        if kind == "member":
            found[pk] = Author(
                label=names.get((group_id or 0, pk)) or _(ANONYMOUS),
                real_name=full_name if staff_viewer else "",
            )
        else:
            found[pk] = Author(label=full_name, is_facilitator=True)
    return found


# --- the member's own goals ------------------------------------------------------------


@dataclass
class GoalRow:
    goal: Goal
    checkins: list[CheckIn] = field(default_factory=list)  # newest first
    this_week: CheckIn | None = None
    replies: int = 0
    chart: Chart | None = None

    @property
    def latest(self) -> CheckIn | None:
        return self.checkins[0] if self.checkins else None


def _checkins_by_goal(goal_ids: list[int], since: date) -> dict[int, list[CheckIn]]:
    found: dict[int, list[CheckIn]] = defaultdict(list)
    if not goal_ids:
        return found
    for checkin in CheckIn.objects.filter(goal_id__in=goal_ids, week_of__gte=since).order_by(
        "goal_id", "-week_of"
    ):
        found[checkin.goal_id].append(checkin)
    return found


def my_goals(client: Client, *, now: datetime | None = None) -> list[GoalRow]:
    """A member's goals (active first, then reached, then set aside) with their recent
    check-ins, this week's and how many visible replies. Three queries."""
    week = week_of_for(client, now)
    order = {GoalStatus.ACTIVE: 0, GoalStatus.REACHED: 1, GoalStatus.SET_ASIDE: 2}
    goals = list(
        Goal.objects.filter(client=client)
        .select_related("group")
        .annotate(n_replies=Count("replies", filter=Q(replies__status=ReplyStatus.VISIBLE)))
        .order_by("-created_at", "-id")
    )
    goals.sort(key=lambda g: order.get(GoalStatus(g.status), 3))
    history = _checkins_by_goal([g.pk for g in goals], week - timedelta(weeks=HISTORY_WEEKS))
    rows = []
    for goal in goals:
        checkins = history.get(goal.pk, [])
        rows.append(
            GoalRow(
                goal=goal,
                checkins=checkins,
                this_week=next((c for c in checkins if c.week_of == week), None),
                replies=getattr(goal, "n_replies", 0),
                chart=chart_of(checkins[:TREND_WEEKS], width=160, height=48) if checkins else None,
            )
        )
    return rows


# --- one goal --------------------------------------------------------------------------


@dataclass
class ReplyRow:
    reply: SupportReply
    author: Author
    shown: bool  # False: hidden, and the viewer sees only that a reply was hidden


@dataclass
class GoalDetail:
    access: GoalAccess
    owner: Author
    checkins: list[CheckIn]
    this_week: CheckIn | None
    chart: Chart
    replies: list[ReplyRow]
    week_of: date

    @property
    def goal(self) -> Goal:
        return self.access.goal


def goal_detail(access: GoalAccess, actor: User, *, now: datetime | None = None) -> GoalDetail:
    """One goal as ``actor`` may see it: history, chart and replies. Five queries (and
    one access event for staff)."""
    goal = access.goal
    staff = access.is_staff
    week = week_of_for(goal.client, now)
    checkins = list(
        CheckIn.objects.filter(
            goal=goal, week_of__gte=week - timedelta(weeks=HISTORY_WEEKS)
        ).order_by("-week_of")
    )
    replies = list(
        SupportReply.objects.filter(goal=goal).order_by("created_at", "id")[: REPLIES_SHOWN * 5]
    )
    people = _authors(
        goal.group_id, {goal.user_id, *(r.author_id for r in replies)}, staff_viewer=staff
    )
    rows = [
        ReplyRow(
            reply=r,
            author=people.get(r.author_id) or Author(label=_(ANONYMOUS)),
            shown=r.status == ReplyStatus.VISIBLE or staff,
        )
        for r in replies
    ]
    if staff:
        _audit_reads(actor, "goals.goal.viewed", [goal.client_id], "goals.goal", str(goal.pk))
    return GoalDetail(
        access=access,
        owner=people.get(goal.user_id) or Author(label=_(ANONYMOUS)),
        checkins=checkins,
        this_week=next((c for c in checkins if c.week_of == week), None),
        chart=chart_of(checkins),
        replies=rows,
        week_of=week,
    )


def _audit_reads(
    actor: User, action: str, client_ids: list[int], obj_type: str, obj_id: str
) -> None:
    """One access event per member whose goals were read, in one insert."""
    ids = sorted(set(client_ids))
    if not ids:
        return
    ctx = context.current()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=actor,
                actor_label=actor.email,
                category=Category.ACCESS,
                action=action,
                client_id=pk,
                object_type=obj_type,
                object_id=obj_id,
                ip=ctx.ip,
                request_id=ctx.request_id,
                via=ctx.via,
                detail={},
            )
            for pk in ids
        ]
    )


# --- the group's shared goals (members) ------------------------------------------------


@dataclass
class SharedRow:
    goal: Goal
    owner: Author
    latest: CheckIn | None
    replies: list[ReplyRow]
    mine: bool


@dataclass
class GroupShared:
    group: TherapyGroup
    rows: list[SharedRow]


def group_shared_goals(client: Client, actor: User) -> list[GroupShared]:
    """For each group the member is active in: the goals shared with it (their own
    included), newest first, with the latest check-in and the visible replies. Six
    queries whatever the number of groups, goals or replies."""
    groups = list(active_groups_of(client).order_by("name", "pk"))
    if not groups:
        return []
    goals = list(
        visible_goals(actor)
        .filter(shared_goals_q(), group__in=[g.pk for g in groups])
        .order_by("-updated_at", "-id")[: SHARED_LIMIT * len(groups)]
    )
    ids = [g.pk for g in goals]
    latest: dict[int, CheckIn] = {}
    for checkin in CheckIn.objects.filter(
        goal_id__in=ids, week_of__gte=week_of_for(client) - timedelta(weeks=TREND_WEEKS)
    ).order_by("goal_id", "-week_of"):
        latest.setdefault(checkin.goal_id, checkin)
    replies: dict[int, list[SupportReply]] = defaultdict(list)
    for reply in SupportReply.objects.filter(goal_id__in=ids, status=ReplyStatus.VISIBLE).order_by(
        "created_at", "id"
    ):
        replies[reply.goal_id].append(reply)
    user_ids = {g.user_id for g in goals} | {r.author_id for rs in replies.values() for r in rs}
    names = _display_names({g.pk for g in groups}, user_ids)
    from kindred.accounts.models import User as UserModel

    staff_names = dict(
        UserModel.objects.filter(pk__in=user_ids)
        .exclude(kind="member")
        .values_list("pk", "full_name")
    )

    def author(group_id: int, user_id: int) -> Author:
        if user_id in staff_names:
            return Author(label=staff_names[user_id], is_facilitator=True)
        return Author(label=names.get((group_id, user_id)) or _(ANONYMOUS))

    by_group: dict[int, list[SharedRow]] = defaultdict(list)
    for goal in goals:
        if goal.group_id is None:
            continue
        note = latest.get(goal.pk)
        if note is not None and note.risk_flagged and goal.client_id != client.pk:
            note.note = ""  # a note with risk language stays with the member and staff
        by_group[goal.group_id].append(
            SharedRow(
                goal=goal,
                owner=author(goal.group_id, goal.user_id),
                latest=note,
                replies=[
                    ReplyRow(reply=r, author=author(goal.group_id, r.author_id), shown=True)
                    for r in replies.get(goal.pk, [])[-REPLIES_SHOWN:]
                ],
                mine=goal.client_id == client.pk,
            )
        )
    return [GroupShared(group=g, rows=by_group.get(g.pk, [])[:SHARED_LIMIT]) for g in groups]


# --- the facilitator's view of a group -------------------------------------------------


@dataclass
class MemberGoals:
    client: Client
    rows: list[GoalRow]

    @property
    def waiting(self) -> int:
        """Active goals with no check-in this week yet."""
        return sum(1 for r in self.rows if r.goal.is_active and r.this_week is None)


@dataclass
class GroupGoals:
    group: TherapyGroup
    members: list[MemberGoals]

    @property
    def waiting(self) -> int:
        return sum(m.waiting for m in self.members)

    @property
    def active_goals(self) -> int:
        return sum(1 for m in self.members for r in m.rows if r.goal.is_active)


def group_goals(group: TherapyGroup, actor: User, *, now: datetime | None = None) -> GroupGoals:
    """Every active member of ``group`` with all their goals in it (set-aside ones too),
    this week's check-in (in each member's own week) and an eight-week trend. Four
    queries, one of them the access events (one per member whose goals were shown)."""
    enrollments = list(
        Enrollment.objects.filter(group=group, status=EnrollmentStatus.ACTIVE)
        .select_related("client")
        .order_by("client__legal_last_name", "client__legal_first_name", "pk")
    )
    clients = [e.client for e in enrollments]
    goals = list(
        Goal.objects.filter(group=group, client__in=[c.pk for c in clients])
        .annotate(n_replies=Count("replies", filter=Q(replies__status=ReplyStatus.VISIBLE)))
        .order_by("status", "-created_at", "-id")
    )
    since = monday_of(timezone.localdate(now)) - timedelta(weeks=TREND_WEEKS + 1)
    history = _checkins_by_goal([g.pk for g in goals], since)
    weeks = {c.pk: week_of_for(c, now) for c in clients}
    by_client: dict[int, list[GoalRow]] = defaultdict(list)
    for goal in goals:
        checkins = history.get(goal.pk, [])[:TREND_WEEKS]
        week = weeks[goal.client_id]
        by_client[goal.client_id].append(
            GoalRow(
                goal=goal,
                checkins=checkins,
                this_week=next((c for c in checkins if c.week_of == week), None),
                replies=getattr(goal, "n_replies", 0),
                chart=chart_of(checkins, width=160, height=48) if checkins else None,
            )
        )
    _audit_reads(
        actor,
        "goals.group_goals.viewed",
        [c.pk for c in clients if by_client.get(c.pk)],
        "groups.therapygroup",
        str(group.pk),
    )
    return GroupGoals(
        group=group, members=[MemberGoals(client=c, rows=by_client.get(c.pk, [])) for c in clients]
    )


# --- home panels -----------------------------------------------------------------------


def member_panel(actor: User) -> dict[str, object] | None:
    """Member home: their active goals and which still have no check-in this week. One
    query (the goals with their client's time zone and latest check-in week); hidden
    for people who are not members."""
    if not getattr(actor, "is_member", False):
        return None
    goals = list(
        Goal.objects.filter(user=actor, status=GoalStatus.ACTIVE)
        .select_related("client")
        .annotate(last_week=Max("checkins__week_of"))
        .order_by("-created_at")[:20]
    )
    if not goals:
        return {"panel": {"goals": [], "to_check_in": 0}}
    week = week_of_for(goals[0].client)
    rows = [
        {"goal": g, "checked_in": g.last_week is not None and g.last_week >= week} for g in goals
    ]
    return {
        "panel": {
            "goals": rows,
            "to_check_in": sum(1 for r in rows if not r["checked_in"]),
        }
    }


def facilitator_panel(actor: User) -> dict[str, object] | None:
    """Staff home: per group the actor facilitates, how many active goals have no
    check-in this week yet (a gentle count, not a list of names). Two queries."""
    groups = list(staff_goal_groups(actor).filter(status="active").order_by("name", "pk")[:50])
    if not groups:
        return None
    rows = (
        Goal.objects.filter(
            group__in=[g.pk for g in groups],
            status=GoalStatus.ACTIVE,
            client__enrollments__group_id=F("group_id"),
            client__enrollments__status=EnrollmentStatus.ACTIVE,
        )
        .values("pk", "group_id", "client__timezone")
        .annotate(last_week=Max("checkins__week_of"))
    )
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    now = timezone.now()
    for row in rows:
        week = monday_of(today_in(row["client__timezone"], now))
        counts[row["group_id"]][0] += 1
        if row["last_week"] is None or row["last_week"] < week:
            counts[row["group_id"]][1] += 1
    shown = [
        {"group": g, "active": counts[g.pk][0], "waiting": counts[g.pk][1]}
        for g in groups
        if counts.get(g.pk)
    ]
    if not shown:
        return None
    return {"panel": {"groups": shown}}
