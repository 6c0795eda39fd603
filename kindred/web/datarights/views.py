"""Data rights pages: a member downloads their own data and asks to close their portal
account (phone first); coordinators and admins confirm closures.

Members' pages answer 404 to everyone who is not a member with a client record (staff
included: a member's own download is for that member only). Asking to close needs a
recent sign-in (password confirmed in the last 10 minutes).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kindred.accounts.models import User
from kindred.accounts.reauth import sensitive
from kindred.core.errors import KindredError, NotFound, NotPermitted, ValidationFailed
from kindred.datarights import closure, selfexport
from kindred.datarights.export import FORMATS, own_client, own_export
from kindred.datarights.models import ClosureRequest, ClosureStatus
from kindred.practice import roles
from kindred.practice.roles import Capability
from kindred.web.datarights.forms import ClosureConfirmForm, ClosureRequestForm
from kindred.web.forms import apply_error
from kindred.web.pages import actor_of


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_safe
def my_data(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    own_client(actor)  # 404 for anyone but a member
    fmt = request.GET.get("format")
    if fmt is not None:
        try:
            result = own_export(actor=actor, fmt=fmt)
        except ValidationFailed:
            raise Http404 from None
        response = HttpResponse(result.content, content_type=result.content_type)
        response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
        return _no_store(response)
    last = ClosureRequest.objects.filter(user=actor).order_by("-requested_at", "-id").first()
    pdf = selfexport.latest_for(actor)  # the background PDF (export_views.py)
    return _no_store(
        render(
            request,
            "web/datarights/my_data.html",
            {
                "section": "account",
                "formats": FORMATS,
                "closure": last,
                "pdf_export": pdf,
                "pdf_status": selfexport.shown_status(pdf) if pdf else "",
                "poll_seconds": selfexport.POLL_SECONDS,
            },
        )
    )


@sensitive
@require_http_methods(["GET", "POST"])
def close_account(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    own_client(actor)
    pending = closure.open_request(actor)
    form = ClosureRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and pending is None and form.is_valid():
        try:
            closure.closure_request(actor=actor, reason=form.cleaned_data["reason"])
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(
                request, _("Your request is with the practice. They will be in touch.")
            )
            return redirect("web:my_data")
    status = 400 if request.method == "POST" and pending is None else 200
    if request.method == "POST" and pending is not None:
        status = 409
    return render(
        request,
        "web/datarights/close.html",
        {"section": "account", "form": form, "pending": pending},
        status=status,
    )


@login_required
@require_POST
def withdraw_closure(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    own_client(actor)
    try:
        closure.closure_withdraw(actor=actor)
    except KindredError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your request is withdrawn. Your account stays open."))
    return redirect("web:my_data")


def staff_with(request: HttpRequest, capability: Capability, refusal: str) -> User:
    """The staff pages of this section: members and other non-staff get 404 (the pages do
    not exist for them), staff without ``capability`` 403 with ``refusal``."""
    actor = actor_of(request)
    if not getattr(actor, "is_staff_member", False):
        raise Http404
    if not roles.has(actor, capability):
        raise PermissionDenied(refusal)
    return actor


def _staff(request: HttpRequest) -> None:
    staff_with(
        request, Capability.MANAGE_CLIENTS, _("Closing accounts is for coordinators and admins.")
    )


@login_required
@require_safe
def closures(request: HttpRequest) -> HttpResponse:
    _staff(request)
    rows = list(closure.pending(actor_of(request))[:200])
    return _no_store(
        render(request, "web/datarights/closures.html", {"section": "clients", "rows": rows})
    )


@sensitive
@require_http_methods(["GET", "POST"])
def closure_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    _staff(request)
    actor = actor_of(request)
    try:
        item = closure.get_request_for(actor, request_id)
    except NotFound:
        raise Http404 from None
    form = ClosureConfirmForm(
        request.POST if request.method == "POST" else None,
        initial={"posts": closure.agreed_posts_choice(item.client_id)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            closure.closure_confirm(
                actor=actor, request_id=item.pk, posts=form.cleaned_data["posts"]
            )
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("The account is closed. The record is kept."))
            return redirect("web:datarights_closures")
    return render(
        request,
        "web/datarights/closure_detail.html",
        {
            "section": "clients",
            "item": item,
            "form": form,
            "open": item.status == ClosureStatus.REQUESTED,
            "years": closure.retention_years(),
        },
        status=400 if request.method == "POST" else 200,
    )
