"""Pages for destroying closed members' records (kindred/datarights/purge.py): the "Due
for destruction" list, a record's destruction page (what would go, the Destroy button
behind a typed confirmation, the legal hold form), and the hold and lift actions.

Practice admins only (``MANAGE_PRACTICE``): other staff get 403, members and anyone
without a staff account 404. The destruction page and its actions need a recent
re-authentication (``sensitive``): destroying cannot be undone, and lifting a hold makes
a record destroyable again.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kindred.accounts.models import User
from kindred.accounts.reauth import sensitive
from kindred.core.errors import KindredError, NotFound, NotPermitted
from kindred.datarights import purge
from kindred.datarights.models import ClosureRequest
from kindred.practice.roles import Capability
from kindred.web.datarights.views import staff_with
from kindred.web.forms import apply_error


class DestroyForm(forms.Form):
    confirm = forms.CharField(
        label=gettext_lazy("Type the request number to confirm"),
        max_length=20,
        strip=True,
        error_messages={"required": gettext_lazy("Type the request number to confirm.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


class HoldForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the hold (a court order, a complaint, an audit…)"),
        max_length=purge.HOLD_REASON_MAX,
        strip=False,
        error_messages={"required": gettext_lazy("Give the reason for the hold.")},
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _admin(request: HttpRequest) -> User:
    return staff_with(
        request, Capability.MANAGE_PRACTICE, _("Destroying records is for practice admins.")
    )


def _get(actor: User, request_id: int) -> ClosureRequest:
    try:
        return purge.get_closed_for(actor, request_id)
    except NotFound:
        raise Http404 from None


@login_required
@require_safe
def due_list(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    rows = list(purge.due(actor)[:500])
    return _no_store(
        render(
            request,
            "web/datarights/purge_due.html",
            {"section": "closures", "rows": rows, "held": sum(1 for r in rows if r.held_at)},
        )
    )


def _page(
    request: HttpRequest,
    item: ClosureRequest,
    *,
    destroy_form: DestroyForm | None = None,
    hold_form: HoldForm | None = None,
    status: int = 200,
) -> HttpResponse:
    why = purge.refusal(item)
    due = item.purged_at is None and why is None
    preview = purge.purge_preview(item) if due else None
    return _no_store(
        render(
            request,
            "web/datarights/purge_detail.html",
            {
                "section": "closures",
                "item": item,
                "why": why if item.purged_at is None else None,
                "due": due,
                "preview": preview,
                "destroy_form": destroy_form or DestroyForm(),
                "hold_form": hold_form or HoldForm(),
                "purged": (item.outcome or {}).get("purge"),
            },
            status=status,
        )
    )


@sensitive
@require_http_methods(["GET", "POST"])
def destruction(request: HttpRequest, request_id: int) -> HttpResponse:
    """The record's retention, what destroying it would remove, and the Destroy button."""
    actor = _admin(request)
    item = _get(actor, request_id)
    if request.method != "POST":
        return _page(request, item)
    form = DestroyForm(request.POST)
    if form.is_valid():
        try:
            purge.record_purge(
                actor=actor, request_id=item.pk, confirm=form.cleaned_data["confirm"]
            )
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("The record is destroyed. The request stays as its trace."))
            return redirect("web:datarights_purge_due")
    return _page(request, _get(actor, request_id), destroy_form=form, status=400)


@sensitive
@require_POST
def hold(request: HttpRequest, request_id: int) -> HttpResponse:
    actor = _admin(request)
    item = _get(actor, request_id)
    form = HoldForm(request.POST)
    if form.is_valid():
        try:
            purge.record_hold(actor=actor, request_id=item.pk, reason=form.cleaned_data["reason"])
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("The record is on hold. It will not be destroyed."))
            return redirect("web:datarights_purge", request_id=item.pk)
    return _page(request, _get(actor, request_id), hold_form=form, status=400)


@sensitive
@require_POST
def lift_hold(request: HttpRequest, request_id: int) -> HttpResponse:
    actor = _admin(request)
    item = _get(actor, request_id)
    try:
        purge.record_release(actor=actor, request_id=item.pk)
    except KindredError as exc:
        messages.error(request, exc.message)
        return _page(request, _get(actor, request_id), status=409)
    messages.success(request, _("The hold is lifted."))
    return redirect("web:datarights_purge", request_id=item.pk)
