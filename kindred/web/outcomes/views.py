"""Safety alerts (clinicians and admins): the list, one alert, acknowledging it.

Each view: authorize (measures/safety_selectors.py: only alerts of one's own groups; not
yours = 404) → validate the shape (forms.py) → call one service (measures/safety.py) →
render.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from kindred.core.errors import KindredError, NotPermitted
from kindred.measures.administrations import member_title
from kindred.measures.charts import (
    attendance_chart,
    level_words,
    member_chart,
    progress_words,
    pulse_chart,
    severity_chart,
    trajectory_chart,
)
from kindred.measures.dashboard import group_dashboard
from kindred.measures.models import AlertAction, AlertStatus, SafetyAlert
from kindred.measures.outcome_settings import outcome_settings, outcome_settings_update
from kindred.measures.outcomes import Trajectory, member_outcomes, own_progress, rules_explained
from kindred.measures.safety import alert_acknowledge, flag_label
from kindred.measures.safety_selectors import alert_get, alert_list, can_see_alerts
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability
from kindred.web.forms import apply_error
from kindred.web.outcomes.forms import AcknowledgeForm, AlertFilterForm, OutcomeSettingsForm
from kindred.web.pages import signed_in_page
from kindred.web.paging import paginate

if TYPE_CHECKING:
    from kindred.accounts.models import User

View = Callable[..., HttpResponse]
PAGE_SIZE = 25


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def alerts_page(view: View) -> View:
    """Signed-in clinicians and admins only; for anyone else these pages do not exist."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_see_alerts(_actor(request)):
            if "alert_id" in kwargs:  # records the denied attempt, answers 404
                alert_get(actor=_actor(request), alert_id=kwargs["alert_id"])
            raise Http404
        try:
            return view(request, *args, **kwargs)
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc

    return wrapper


@alerts_page
@require_safe
def alert_list_page(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = AlertFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    alerts = alert_list(actor=actor, status=status)
    context = {
        "section": "alerts",
        "form": form,
        "status": status,
        **paginate(request, alerts, per_page=PAGE_SIZE),
    }
    context["rows"] = [(a, flag_label(a)) for a in context["page_obj"].object_list]
    return render(request, "web/outcomes/alert_list.html", context)


@alerts_page
@require_http_methods(["GET", "POST"])
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    actor = _actor(request)
    alert: SafetyAlert = alert_get(actor=actor, alert_id=alert_id, write=request.method == "POST")
    form = AcknowledgeForm(request.POST or None) if alert.status == AlertStatus.OPEN else None
    if request.method == "POST":
        if form is None:
            messages.info(request, _("This alert was already acknowledged; nothing was changed."))
            return redirect("web:alert_detail", alert_id=alert.pk)
        if form.is_valid():
            try:
                alert_acknowledge(
                    actor=actor,
                    alert=alert,
                    action=form.cleaned_data["action"],
                    note=form.cleaned_data["note"],
                )
            except KindredError as exc:
                apply_error(form, exc)
            else:
                messages.success(request, _("Alert acknowledged. Thank you for acting on it."))
                return redirect("web:alert_detail", alert_id=alert.pk)
    context = {
        "section": "alerts",
        "alert": alert,
        "flag": flag_label(alert),
        "form": form,
        "other_action": AlertAction.OTHER,
    }
    return render(request, "web/outcomes/alert_detail.html", context)


# --- Outcomes: a member's chart (staff), the member's own progress, the group ---------


def _trajectory_context(trajectories: list[Trajectory], prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "t": t,
            "chart_id": f"{prefix}-{t.instrument.code}",
            "chart": trajectory_chart(t),
            "rows": list(zip(t.points, trajectory_chart(t)["labels"], strict=True)),
        }
        for t in trajectories
    ]


@signed_in_page
@require_safe
def member_outcomes_page(request: HttpRequest, client_id: int) -> HttpResponse:
    actor = _actor(request)
    if not getattr(actor, "is_staff_member", False):
        from kindred.clients.models import Client as ClientModel
        from kindred.core.access import deny

        deny(actor, ClientModel, client_id)
    outcomes = member_outcomes(actor=actor, client_id=client_id)
    context = {
        "section": "clients",
        "client": outcomes.client,
        "outcomes": outcomes,
        "items": _trajectory_context(outcomes.trajectories, "chart"),
        "rules": rules_explained(outcomes.rules),
        "charts": True,
    }
    return render(request, "web/outcomes/member_outcomes.html", context)


@login_required
@require_safe
def member_progress(request: HttpRequest) -> HttpResponse:
    """The member's own, encouraging progress view (no scores, calm colours)."""
    actor = _actor(request)
    progress = own_progress(actor=actor)
    items = []
    for t in progress.trajectories:
        if not t.instrument.validated:
            continue  # the pulse is about the group, not the member's own progress
        chart = member_chart(t)
        items.append(
            {
                "t": t,
                "title": member_title(t.instrument),
                "words": progress_words(t),
                "chart_id": f"progress-{t.instrument.code}",
                "chart": chart,
                "rows": [
                    (label, level_words(p.band))
                    for p, label in zip(t.points, chart["labels"], strict=True)
                ],
            }
        )
    context = {"section": "progress", "items": items, "charts": True}
    return render(request, "web/outcomes/member_progress.html", context)


@signed_in_page
@require_safe
def group_dashboard_page(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = _actor(request)
    dashboard = group_dashboard(actor=actor, group_id=group_id)
    severity = [
        {"s": s, "chart_id": f"severity-{s.instrument.code}", "chart": severity_chart(dashboard, i)}
        for i, s in enumerate(dashboard.severity)
    ]
    attendance = attendance_chart(dashboard)
    pulse = pulse_chart(dashboard)
    context = {
        "section": "groups",
        "group": dashboard.group,
        "d": dashboard,
        "attendance_chart": attendance,
        "attendance_rows": list(zip(dashboard.attendance, attendance["labels"], strict=True)),
        "pulse_chart": pulse,
        "pulse_rows": [
            (label, [p.averages.get(k) for k in dashboard.pulse_labels], p.answers)
            for p, label in zip(dashboard.pulse, pulse["labels"], strict=True)
        ],
        "severity": severity,
        "rules": rules_explained(dashboard.rules),
        "charts": True,
    }
    return render(request, "web/outcomes/group_dashboard.html", context)


# --- Outcome settings (admins) ----------------------------------------------------------


@signed_in_page
@require_http_methods(["GET", "POST"])
def outcome_settings_page(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not role_checks.has(actor, Capability.MANAGE_PRACTICE):
        raise Http404
    rules = outcome_settings()
    initial = {
        "escalate_after_minutes": rules.escalate_after_minutes,
        "clinical_lead": rules.clinical_lead_id,
        "not_on_track_after_sessions": rules.not_on_track_after_sessions,
        "flag_reliable_deterioration": rules.flag_reliable_deterioration,
        "alert_on_reliable_deterioration": rules.alert_on_reliable_deterioration,
    }
    form = OutcomeSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            outcome_settings_update(actor=actor, **form.cleaned_data)
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("The safety and outcome rules are saved."))
            return redirect("web:outcome_settings")
    context = {"section": "practice", "form": form, "rules": rules_explained(rules)}
    return render(request, "web/outcomes/settings.html", context)
