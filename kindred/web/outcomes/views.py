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
from kindred.measures.models import AlertAction, AlertStatus, SafetyAlert
from kindred.measures.safety import alert_acknowledge, flag_label
from kindred.measures.safety_selectors import alert_get, alert_list, can_see_alerts
from kindred.web.forms import apply_error
from kindred.web.outcomes.forms import AcknowledgeForm, AlertFilterForm
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
