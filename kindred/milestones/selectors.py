"""Reading milestones, each in a constant number of queries.

- ``own_milestones``: a member's own list (what they may share, what they shared);
- ``shared_for_group``: what a group's members have shared, under their space names —
  only the neutral label and the member's own words, never a score;
- ``space_panel``: the few latest of those, for the group space page;
- ``client_milestones``: a member's milestones for staff (an access audit event).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.cache import cache

from kindred.audit.services import audit_access
from kindred.milestones import detection, words
from kindred.milestones.models import Milestone, MilestoneState
from kindred.space.access import visible_space_groups
from kindred.space.models import DisplayName

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client

#: The member's page runs detection for them at most this often.
LAZY_DETECT_SECONDS = 600
PANEL_LIMIT = 3
GROUP_PAGE_LIMIT = 100


@dataclass(frozen=True)
class OwnRow:
    milestone: Milestone

    @property
    def title(self) -> str:
        return words.title(self.milestone.kind)

    @property
    def reason(self) -> str:
        return words.private_reason(self.milestone.kind)

    @property
    def shared_label(self) -> str:
        return words.shared_label(self.milestone.kind)


@dataclass(frozen=True)
class SharedRow:
    """A shared milestone as the group sees it: nothing else is ever exposed."""

    id: int
    group_id: int
    name: str
    label: str
    message: str
    shared_at: datetime
    hidden: bool
    moderation_reason: str  # facilitators only
    mine: bool


def client_of(actor: User) -> Client | None:
    if not getattr(actor, "is_member", False) or not actor.is_active:
        return None
    return getattr(actor, "client", None)


def detect_lazily(client: Client) -> None:
    """Look for new milestones for one member, at most every ``LAZY_DETECT_SECONDS``
    (a cache key decides; detection itself is a fixed handful of queries)."""
    if cache.add(f"milestones:detected:{client.pk}", 1, LAZY_DETECT_SECONDS):
        detection.detect([client.pk])


def own_milestones(client: Client) -> list[OwnRow]:
    """The member's milestones, suggested first, newest first (one query)."""
    rows = (
        Milestone.objects.filter(client=client)
        .exclude(state=MilestoneState.WITHDRAWN)
        .select_related("group")
        .order_by("-happened_at", "-pk")
    )
    order: dict[str, int] = {
        MilestoneState.SUGGESTED: 0,
        MilestoneState.SHARED: 1,
        MilestoneState.DISMISSED: 2,
    }
    return sorted((OwnRow(m) for m in rows), key=lambda r: order.get(r.milestone.state, 3))


def suggested_count(actor: User) -> int:
    return Milestone.objects.filter(client__user=actor, state=MilestoneState.SUGGESTED).count()


def _names(group_ids: set[int], user_ids: set[int]) -> dict[tuple[int, int], str]:
    return {
        (group_id, user_id): name
        for group_id, user_id, name in DisplayName.objects.filter(
            space__group_id__in=group_ids, user_id__in=user_ids
        ).values_list("space__group_id", "user_id", "name")
    }


def shared_rows(
    milestones: list[Milestone], *, actor: User | None, facilitator: bool
) -> list[SharedRow]:
    """Shared milestones as the group sees them (one query for the space names)."""
    names = _names(
        {m.group_id for m in milestones}, {m.user_id for m in milestones if m.user_id is not None}
    )
    return [
        SharedRow(
            id=m.pk,
            group_id=m.group_id,
            name=names.get((m.group_id, m.user_id or 0), words.ANONYMOUS),
            label=words.shared_label(m.kind),
            message=m.message,
            shared_at=m.shared_at or m.happened_at,
            hidden=m.hidden,
            moderation_reason=m.moderation_reason if facilitator else "",
            mine=actor is not None and m.user_id == actor.pk,
        )
        for m in milestones
    ]


def shared_for_group(
    group_id: int, *, actor: User | None, facilitator: bool, limit: int = GROUP_PAGE_LIMIT
) -> list[SharedRow]:
    """A group's shared milestones, newest first: members see the visible ones,
    facilitators the hidden ones too. Two queries."""
    qs = Milestone.objects.filter(group_id=group_id, state=MilestoneState.SHARED)
    if not facilitator:
        qs = qs.filter(hidden=False)
    found = list(
        qs.only(
            "pk", "group_id", "user_id", "kind", "message", "shared_at", "happened_at",
            "hidden", "moderation_reason",
        ).order_by("-shared_at", "-pk")[:limit]
    )  # fmt: skip
    return shared_rows(found, actor=actor, facilitator=facilitator)


def space_panel(
    group_id: int, *, actor: User | None = None, limit: int = PANEL_LIMIT
) -> dict[str, Any]:
    """The context of ``web/milestones/_space_panel.html`` for a group's space page
    (two queries; visible milestones only, whoever reads)."""
    return {
        "group_id": group_id,
        "rows": shared_for_group(group_id, actor=actor, facilitator=False, limit=limit),
    }


def visible_group_ids(actor: User) -> list[int]:
    return list(visible_space_groups(actor).values_list("pk", flat=True))


def client_milestones(*, actor: User, client_id: object) -> tuple[Client, list[OwnRow]]:
    """A member's milestones for staff who may see the member (client access rule;
    404 otherwise), with an access audit event."""
    from kindred.clients.access import get_client_for

    client = get_client_for(actor, client_id)
    audit_access(actor=actor, action="milestones.client.viewed", obj=client, client_id=client.pk)
    return client, own_milestones(client)
