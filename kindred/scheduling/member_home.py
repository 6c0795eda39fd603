"""The member's home: their groups, their next sessions (in their own time zone, with
the address or the Join button), and "I can't make it". A constant number of queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from kindred.scheduling import member
from kindred.scheduling.calendar_feeds import active_feed

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client
    from kindred.groups.models import Enrollment
    from kindred.scheduling.gate import JoinState
    from kindred.scheduling.models import GroupSession

#: Sessions shown on the home page; the sessions page lists the rest.
HOME_SESSIONS = 4


@dataclass(frozen=True)
class HomeGroup:
    enrollment: Enrollment
    next: member.MemberSession | None


def join_states_for(
    sessions: Sequence[GroupSession], client: Client, now: datetime
) -> dict[int, JoinState]:
    """The Join button of each session (the licensure gate's rules, gate.py)."""
    from kindred.scheduling.gate import join_states

    return join_states(sessions, client, now)


def member_home_context(*, actor: User) -> dict[str, Any]:
    client = member.member_client(actor)
    if client is None:
        return {"client": None}
    now = timezone.now()
    upcoming = list(member.upcoming_sessions(client, now=now)[: HOME_SESSIONS * 4])
    enrollments = list(member.current_enrollments(client))
    joins = join_states_for(upcoming[:HOME_SESSIONS], client, now)
    shown = [member.present(s, client, now=now) for s in upcoming]
    next_of: dict[int, member.MemberSession] = {}
    for item in shown:
        if not item.cancelled:
            next_of.setdefault(item.session.group_id, item)
    return {
        "client": client,
        "zone": member.zone_name(client.timezone),
        "sessions": [(item, joins.get(item.pk)) for item in shown[:HOME_SESSIONS]],
        "more_sessions": len(shown) > HOME_SESSIONS,
        "groups": [HomeGroup(e, next_of.get(e.group_id)) for e in enrollments],
        "feed": active_feed(actor=actor),
    }
