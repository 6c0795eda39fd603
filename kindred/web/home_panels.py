"""Home-page panels contributed by the domain apps.

Each role's home page shows the panels listed here for that role, in order, after the
page's own content ("the next thing to do first": alerts before counts). A panel is a
template plus a function that returns its context (or None to hide the panel). Each
function must use a constant number of queries. Adding a panel means adding one line
here and two files in the app that owns it; no shared template changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.module_loading import import_string

from kindred.practice.roles import Role

if TYPE_CHECKING:
    from kindred.accounts.models import User

MEMBER = "member"
_ALERTS = "kindred.measures.outcome_panels.open_alerts_panel"
_SCREENINGS = "kindred.intake.screening_selectors.facilitator_panel"
_FUNNEL = "kindred.intake.screening_selectors.coordinator_panel"
# Goals, journal, coping strategies and trends in one panel and one query (issue 8).
_BETWEEN = "kindred.web.between_sessions.facilitator_panel"
_BETWEEN_TEMPLATE = "web/home/_between_sessions_panel.html"


@dataclass(frozen=True)
class Panel:
    template: str
    provider: str  # dotted path to ``(actor: User) -> dict | None``
    first: bool = False  # shown above the page's own content (urgent things)


PANELS: dict[Role | str, list[Panel]] = {
    Role.ADMIN: [
        Panel(
            "web/breakglass/_review_panel.html",
            "kindred.breakglass.panels.review_panel",
            first=True,
        ),
        Panel("web/outcomes/panels/open_alerts.html", _ALERTS, first=True),
        Panel(
            "web/outcomes/panels/outcome_rules.html",
            "kindred.measures.outcome_panels.outcome_rules_panel",
        ),
        Panel("web/screening/_panel_coordinator.html", _FUNNEL),
        Panel("web/notes/_home_panel.html", "kindred.notes.panels.notes_panel"),
    ],
    Role.COORDINATOR: [
        Panel("web/intake/_home_panel.html", "kindred.intake.selectors.coordinator_panel"),
        Panel("web/screening/_panel_coordinator.html", _FUNNEL),
    ],
    Role.FACILITATOR: [
        Panel("web/outcomes/panels/open_alerts.html", _ALERTS, first=True),
        Panel("web/screening/_panel_facilitator.html", _SCREENINGS),
        Panel(
            "web/outcomes/panels/group_dashboards.html",
            "kindred.measures.outcome_panels.group_dashboards_panel",
        ),
        Panel("web/notes/_facilitator_panel.html", "kindred.notes.panels.facilitator_notes_panel"),
        Panel(_BETWEEN_TEMPLATE, _BETWEEN),
    ],
    Role.SUPERVISOR: [
        Panel("web/outcomes/panels/open_alerts.html", _ALERTS, first=True),
        Panel("web/screening/_panel_facilitator.html", _SCREENINGS),
        Panel("web/notes/_home_panel.html", "kindred.notes.panels.notes_panel"),
        Panel(_BETWEEN_TEMPLATE, _BETWEEN),
    ],
    Role.BILLING: [],
    # Members reach the journal from the menu and coping strategies from each group's
    # card on this page: their panels would cost four more queries (budget: 15).
    MEMBER: [
        Panel(
            "web/agreements/_checklist_panel.html",
            "kindred.intake.checklist.member_checklist_panel",
            first=True,
        ),
        Panel(
            "web/questionnaires/_home_panel.html",
            "kindred.measures.administrations.member_home_panel",
            first=True,
        ),
        Panel(
            "web/milestones/_home_member_panel.html",
            "kindred.milestones.panels.member_milestone_panel",
        ),
        Panel("web/goals/_member_panel.html", "kindred.goals.selectors.member_panel"),
        Panel(
            "web/outcomes/panels/member_progress.html",
            "kindred.measures.outcome_panels.member_progress_panel",
        ),
    ],
}


@dataclass(frozen=True)
class RenderedPanel:
    template: str
    context: dict[str, Any]
    first: bool


def panels_for(role: Role | str, actor: User) -> list[RenderedPanel]:
    rendered: list[RenderedPanel] = []
    for panel in PANELS.get(role, []):
        provider: Callable[[User], dict[str, Any] | None] = import_string(panel.provider)
        context = provider(actor)
        if context is not None:
            rendered.append(RenderedPanel(panel.template, context, panel.first))
    return rendered
