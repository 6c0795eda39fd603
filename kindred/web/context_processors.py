"""Template context every page gets: the practice's name and crisis text, the
navigation the signed-in person may use, and their unread notification count."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kindred.practice import roles
from kindred.practice.roles import Capability, Role
from kindred.practice.settings import practice_settings


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    section: str


def _nav_for(user: Any) -> list[NavItem]:
    items: list[NavItem] = [NavItem(str(_("Home")), reverse("web:home"), "home")]
    if not user.is_authenticated:
        return []
    if getattr(user, "is_member", False):
        items.append(NavItem(str(_("Your sessions")), reverse("web:member_sessions"), "sessions"))
        items.append(
            NavItem(str(_("Check-ins")), reverse("web:member_questionnaires"), "questionnaires")
        )
        items.append(NavItem(str(_("Goals")), reverse("web:goals_home"), "goals"))
        items.append(NavItem(str(_("Journal")), reverse("web:journal"), "journal"))
        items.append(NavItem(str(_("Milestones")), reverse("web:milestones"), "milestones"))
        items.append(NavItem(str(_("Billing")), reverse("web:member_billing"), "billing"))
        return items
    if roles.has(user, Capability.VIEW_ALL_CLIENTS):
        items.append(NavItem(str(_("Clients")), reverse("web:client_list"), "clients"))
        items.append(NavItem(str(_("Waitlist")), reverse("web:waitlist"), "waitlist"))
        items.append(
            NavItem(str(_("Account closures")), reverse("web:datarights_closures"), "closures")
        )
    if roles.has(user, Capability.RUN_MATCHING):
        items.append(NavItem(str(_("Matching")), reverse("web:matching"), "matching"))
    if roles.has(user, Capability.VIEW_ALL_GROUPS) or getattr(user, "clinician", None):
        items.append(NavItem(str(_("Groups")), reverse("web:group_list"), "groups"))
    if roles.has(user, Capability.MANAGE_GROUPS):
        items.append(
            NavItem(str(_("Join requests")), reverse("web:join_request_list"), "join_requests")
        )
    if roles.has(user, Capability.OVERSEE_SAFETY_ALERTS) or getattr(user, "clinician", None):
        from kindred.measures.safety_selectors import alerts_nav_label

        items.append(NavItem(alerts_nav_label(user), reverse("web:alert_list"), "alerts"))
        items.append(NavItem(str(_("Goals")), reverse("web:goals_staff"), "goals"))
        # Break-glass: a clinician opening a record outside their care team (audited).
        items.extend(
            [NavItem(str(_("Emergency access")), reverse("web:breakglass_open"), "breakglass")]
            if getattr(user, "clinician", None)
            else []
        )
    if roles.has(user, Capability.MANAGE_BILLING):
        items.append(NavItem(str(_("Billing")), reverse("web:billing_home"), "billing"))
    if roles.has(user, Capability.VIEW_CLINICIANS):
        items.append(NavItem(str(_("Clinicians")), reverse("web:clinician_list"), "clinicians"))
    if roles.has(user, Capability.MANAGE_PRACTICE):
        items.append(NavItem(str(_("Practice")), reverse("web:practice_profile"), "practice"))
    if roles.has(user, Capability.MANAGE_STAFF):
        items.append(NavItem(str(_("Staff")), reverse("web:staff_list"), "staff"))
    if roles.has(user, Capability.VIEW_AUDIT):
        items.append(NavItem(str(_("Audit log")), reverse("web:audit_list"), "audit"))
        items.append(
            NavItem(
                str(_("Emergency access review")), reverse("web:breakglass_review"), "breakglass"
            )
        )
    return items


def _unread(user: Any) -> Callable[[], int]:
    """The header's unread count, asked for only when a page shows it (cached; at
    most one query)."""

    @cache
    def count() -> int:
        from kindred.notifications.selectors import unread_count

        return unread_count(actor=user)

    return count


def kindred(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    prefs = practice_settings()
    is_member = bool(user.is_authenticated and getattr(user, "is_member", False))
    return {
        "practice": prefs,
        "nav_items": _nav_for(user),
        "is_member_view": is_member,
        "unread_notifications": _unread(user) if user.is_authenticated else 0,
        "user_roles": sorted(getattr(user, "roles", frozenset()), key=list(Role).index)
        if user.is_authenticated
        else [],
    }
