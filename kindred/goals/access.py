"""Who may see which goals.

- A member always sees their own goals.
- Other **active** members of the goal's group see it only when it is shared with the
  group, is not set aside, and its owner still holds an active place in that group;
  they see it under the owner's space display name (or "A group member"), never the
  real name, and never its "why".
- Staff see the goals of a group when they lead, co-facilitate, cover a session of it
  or supervise someone who does (``groups.access.visible_groups`` for clinicians), or
  oversee the practice's safety (admins). Coordinators and billing see none.

Anyone else asking for a goal gets a denied audit event and a 404. A member who used to
see a shared goal but has left the group is let through only for writes
(``allow_former``), so the service can tell them plainly why they cannot reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet

from kindred.core.access import deny
from kindred.core.access import parse_object_id as _int_or_none
from kindred.goals.models import Goal, GoalStatus
from kindred.groups.access import clinician_of, visible_groups
from kindred.groups.models import ENDED_STATUSES, Enrollment, EnrollmentStatus, TherapyGroup
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability
from kindred.space.access import member_client

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client


class GoalRole(StrEnum):
    OWNER = "owner"  # the member whose goal it is
    PEER = "peer"  # another active member of the group (shared goals only)
    STAFF = "staff"  # the group's facilitators, their supervisors, admins
    FORMER = "former"  # used to be a peer, has left the group: may not write


@dataclass(frozen=True)
class GoalAccess:
    goal: Goal
    role: GoalRole

    @property
    def is_owner(self) -> bool:
        return self.role == GoalRole.OWNER

    @property
    def is_staff(self) -> bool:
        return self.role == GoalRole.STAFF


def active_groups_of(client: Client) -> QuerySet[TherapyGroup]:
    """The groups a member holds an active place in."""
    return TherapyGroup.objects.filter(
        pk__in=Enrollment.objects.filter(client=client, status=EnrollmentStatus.ACTIVE).values(
            "group_id"
        )
    )


def staff_goal_groups(actor: User | None) -> QuerySet[TherapyGroup]:
    """The groups whose members' goals ``actor`` (staff) may read."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return TherapyGroup.objects.none()
    if not getattr(actor, "is_staff_member", False):
        return TherapyGroup.objects.none()
    if role_checks.has(actor, Capability.OVERSEE_SAFETY_ALERTS):
        return TherapyGroup.objects.all()
    if clinician_of(actor) is None:
        return TherapyGroup.objects.none()
    return visible_groups(actor)


def _owner_still_in_group() -> Exists:
    return Exists(
        Enrollment.objects.filter(
            client_id=OuterRef("client_id"),
            group_id=OuterRef("group_id"),
            status=EnrollmentStatus.ACTIVE,
        )
    )


def shared_goals_q() -> Q:
    """Goals a group sees: shared, not set aside."""
    return Q(shared_with_group=True, status__in=[GoalStatus.ACTIVE, GoalStatus.REACHED])


def visible_goals(actor: User | None) -> QuerySet[Goal]:
    """Every goal ``actor`` may read, decided in the query."""
    client = member_client(actor)
    if client is not None:
        peers = (
            Goal.objects.filter(shared_goals_q(), group__in=active_groups_of(client))
            .exclude(client=client)
            .filter(_owner_still_in_group())
        )
        return Goal.objects.filter(Q(client=client) | Q(pk__in=peers.values("pk")))
    groups = staff_goal_groups(actor)
    return Goal.objects.filter(group__in=groups.values("pk"))


def _role_for(actor: User | None, goal: Goal) -> GoalRole:
    client = member_client(actor)
    if client is not None:
        return GoalRole.OWNER if goal.client_id == client.pk else GoalRole.PEER
    return GoalRole.STAFF


def get_goal_for(actor: User | None, goal_id: object, *, allow_former: bool = False) -> GoalAccess:
    """The goal as ``actor`` may use it, else a denied event and 404."""
    pk = _int_or_none(goal_id)
    goal = None
    if pk is not None:
        goal = visible_goals(actor).filter(pk=pk).select_related("group", "client").first()
    if goal is not None:
        return GoalAccess(goal=goal, role=_role_for(actor, goal))
    client = member_client(actor)
    former = None
    if allow_former and client is not None and pk is not None:
        former = (
            Goal.objects.filter(shared_goals_q(), pk=pk)
            .filter(
                group__enrollments__client=client,
                group__enrollments__status__in=ENDED_STATUSES,
            )
            .exclude(client=client)
            .select_related("group", "client")
            .first()
        )
    if former is None:
        deny(actor, Goal, goal_id)
    return GoalAccess(goal=former, role=GoalRole.FORMER)


def get_staff_group_for(actor: User | None, group_id: object) -> TherapyGroup:
    """A group whose members' goals ``actor`` may read as staff; 404 otherwise."""
    pk = _int_or_none(group_id)
    group = staff_goal_groups(actor).filter(pk=pk).first() if pk is not None else None
    if group is None:
        deny(actor, TherapyGroup, group_id)
    return group
