"""Home-page panels for safety and outcomes (web/home_panels.py lists them). Each
provider uses a constant number of queries and returns None to hide its panel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, Window

from kindred.measures.models import AlertStatus
from kindred.measures.safety import flag_label

if TYPE_CHECKING:
    from kindred.accounts.models import User

ALERTS_ON_HOME = 5


def open_alerts_panel(actor: User) -> dict[str, Any] | None:
    """Open safety alerts first on the home page of whoever must act on them (two
    queries at most: the list, and a count when there are more than shown)."""
    from kindred.measures.safety_selectors import can_see_alerts, visible_alerts

    if not can_see_alerts(actor):
        return None
    # The first few with how many there are in all (a window count over the rows), so
    # the panel is one query however many alerts are open.
    alerts = list(
        visible_alerts(actor)
        .filter(status=AlertStatus.OPEN)
        .select_related("client", "group", "administration__instrument")
        .annotate(open_total=Window(Count("pk")))
        .order_by("created_at", "pk")[:ALERTS_ON_HOME]
    )
    if not alerts:
        return None
    count = int(alerts[0].open_total)
    return {
        "rows": [(a, flag_label(a)) for a in alerts[:ALERTS_ON_HOME]],
        "count": count,
        "more": count > ALERTS_ON_HOME,
    }


def group_dashboards_panel(actor: User) -> dict[str, Any] | None:
    """Links to the dashboards of the groups a facilitator runs (one query)."""
    from kindred.groups.access import clinician_of, facilitated_groups_q
    from kindred.groups.models import LIVE_STATUSES, TherapyGroup

    clinician = clinician_of(actor)
    if clinician is None:
        return None
    groups = list(
        TherapyGroup.objects.filter(
            pk__in=TherapyGroup.objects.filter(facilitated_groups_q([clinician.pk])).values("pk"),
            status__in=LIVE_STATUSES,
        )
        .order_by("name", "pk")
        .values("pk", "name")[:20]
    )
    return {"groups": groups} if groups else None


def outcome_rules_panel(actor: User) -> dict[str, Any] | None:
    """For admins: where the escalation and not-on-track rules are set (no query)."""
    from kindred.practice import roles as role_checks
    from kindred.practice.roles import Capability

    return {} if role_checks.has(actor, Capability.MANAGE_PRACTICE) else None


def member_progress_panel(actor: User) -> dict[str, Any] | None:
    """For members who have answered a questionnaire: a link to their progress (one
    query)."""
    from kindred.measures.models import Administration, AdministrationStatus

    if not getattr(actor, "is_member", False):
        return None
    answered = Administration.objects.filter(
        client__user=actor, status=AdministrationStatus.COMPLETED, is_complete=True
    ).exists()
    return {} if answered else None
