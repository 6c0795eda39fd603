"""The facilitator's "Between sessions" home panel: one line per group they run, with
what waits for them in the group's life between sessions — coping-strategy cards to
approve, journal entries members shared lately, goals with no check-in this week — and
the way to the group's anonymous trends.

One query whatever the number of groups, members or posts: the groups come from the
per-request memo the dashboard already filled (``scheduling.dashboard.groups_run_by``)
and each count is a sub-select. (Four separate panels cost six queries and pushed the
facilitator home past its budget of 15.)
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db.models import Exists, IntegerField, OuterRef, Q, Subquery
from django.utils import timezone

from kindred.goals.models import CheckIn, Goal, GoalStatus
from kindred.goals.services import monday_of
from kindred.groups.access import clinician_of
from kindred.groups.models import Enrollment, EnrollmentStatus, GroupStatus, TherapyGroup
from kindred.journal.models import JournalEntry
from kindred.scheduling.dashboard import groups_run_by
from kindred.strategies.models import Strategy, StrategyStatus

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from kindred.accounts.models import User

#: Journal entries shared within this many days count as recent.
RECENT_DAYS = 14
MAX_GROUPS = 20


class Counted(Subquery):
    """``(SELECT COUNT(*) FROM (<subquery>))``: a count per outer row."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) counted)"
    output_field = IntegerField()


def _counts(qs: QuerySet[Any]) -> Counted:
    return Counted(qs.order_by().values("pk"))


def facilitator_panel(actor: User) -> dict[str, Any] | None:
    clinician = clinician_of(actor)
    if clinician is None:
        return None
    led, co = groups_run_by([clinician.pk], memo=actor)
    if not led and not co:
        return None
    from kindred.practice.settings import practice_settings

    now = timezone.now()
    week = monday_of(timezone.localtime(now, ZoneInfo(practice_settings().timezone)).date())
    in_group = Enrollment.objects.filter(
        group_id=OuterRef(OuterRef("pk")), status=EnrollmentStatus.ACTIVE
    ).values("client_id")
    goals = Goal.objects.filter(
        group_id=OuterRef("pk"), status=GoalStatus.ACTIVE, client_id__in=in_group
    )
    checked_in = CheckIn.objects.filter(goal_id=OuterRef("pk"), week_of__gte=week)
    shared = JournalEntry.objects.filter(
        Q(session__isnull=True) | Q(session__group_id=OuterRef("pk")),
        shared_with_facilitator=True,
        shared_at__gte=now - timedelta(days=RECENT_DAYS),
        client_id__in=in_group,
    )
    rows = list(
        TherapyGroup.objects.filter(pk__in=[*led, *co], status=GroupStatus.ACTIVE)
        .annotate(
            cards_waiting=_counts(
                Strategy.objects.filter(group_id=OuterRef("pk"), status=StrategyStatus.PENDING)
            ),
            entries_shared=_counts(shared),
            goals_active=_counts(goals),
            goals_waiting=_counts(goals.filter(~Exists(checked_in))),
        )
        .order_by("name", "pk")
        .values("pk", "name", "cards_waiting", "entries_shared", "goals_active", "goals_waiting")[
            :MAX_GROUPS
        ]
    )
    if not rows:
        return None
    return {
        "rows": rows,
        "days": RECENT_DAYS,
        "cards_waiting": sum(int(r["cards_waiting"]) for r in rows),
    }
