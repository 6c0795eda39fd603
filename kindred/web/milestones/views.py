"""Milestones pages: the member's own (phone first), a group's shared milestones, the
facilitator's anonymous trends and their "show in session" view, and a member's
milestones for staff.

Who may see a group's pages is ``kindred.space.access`` (active members and the group's
lead and co-facilitators; 404 and a denied event for anyone else). Changes go through
``kindred.milestones.services``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kindred.core.access import deny
from kindred.core.errors import KindredError
from kindred.groups.models import TherapyGroup
from kindred.milestones import selectors, services, words
from kindred.milestones.models import Milestone
from kindred.milestones.trends import MIN_CELL, group_trends
from kindred.space.access import SpaceAccess, get_space_for
from kindred.web.forms import apply_error
from kindred.web.milestones.forms import HideForm, ShareForm
from kindred.web.pages import actor_of, member_client_or_404, signed_in_page

SECTION = "milestones"


milestones_page = signed_in_page


# --- the member's own ------------------------------------------------------------------


@milestones_page
@require_safe
def mine(request: HttpRequest) -> HttpResponse:
    client = member_client_or_404(request)
    selectors.detect_lazily(client)
    rows = selectors.own_milestones(client)
    shared = request.GET.get("shared", "")
    crisis = any(
        str(r.milestone.pk) == shared and r.milestone.risk_flagged and r.milestone.is_shared
        for r in rows
    )
    return render(
        request,
        "web/milestones/mine.html",
        {
            "section": SECTION,
            "suggested": [r for r in rows if r.milestone.state == "suggested"],
            "shared": [r for r in rows if r.milestone.state == "shared"],
            "private": [r for r in rows if r.milestone.state == "dismissed"],
            "crisis": crisis,
        },
    )


def _preview_name(milestone: Milestone) -> str:
    from kindred.space.models import DisplayName

    entry = DisplayName.objects.filter(
        space__group_id=milestone.group_id, user_id=milestone.client.user_id or 0
    ).first()
    return entry.name if entry is not None else words.ANONYMOUS


@milestones_page
@require_http_methods(["GET", "HEAD", "POST"])
def share(request: HttpRequest, milestone_id: int) -> HttpResponse:
    actor = actor_of(request)
    milestone = services.own_milestone(actor, milestone_id)
    form = ShareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            milestone = services.milestone_share(
                actor=actor, milestone=milestone, message=form.cleaned_data["message"]
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Shared with your group. Thank you for letting them know."))
            url = reverse("web:milestones")
            if milestone.risk_flagged:
                return redirect(f"{url}?shared={milestone.pk}#support")
            return redirect(f"{url}#milestone-{milestone.pk}")
    return render(
        request,
        "web/milestones/share.html",
        {
            "section": SECTION,
            "milestone": milestone,
            "row": selectors.OwnRow(milestone),
            "name": _preview_name(milestone),
            "may_share": services.may_share_in(milestone),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@milestones_page
@require_POST
def dismiss(request: HttpRequest, milestone_id: int) -> HttpResponse:
    actor = actor_of(request)
    milestone = services.own_milestone(actor, milestone_id)
    try:
        services.milestone_dismiss(actor=actor, milestone=milestone)
        messages.success(request, _("Kept private. It stays here, just for you."))
    except KindredError as exc:
        messages.error(request, exc.message)
    return redirect("web:milestones")


@milestones_page
@require_POST
def unshare(request: HttpRequest, milestone_id: int) -> HttpResponse:
    actor = actor_of(request)
    milestone = services.own_milestone(actor, milestone_id)
    try:
        services.milestone_unshare(actor=actor, milestone=milestone)
        messages.success(request, _("The group no longer sees it. It stays here, just for you."))
    except KindredError as exc:
        messages.error(request, exc.message)
    return redirect("web:milestones")


# --- a group's shared milestones -------------------------------------------------------


def _group_context(access: SpaceAccess, **extra: Any) -> dict[str, Any]:
    return {"section": SECTION, "access": access, "group": access.group, **extra}


@milestones_page
@require_safe
def group(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = actor_of(request)
    access = get_space_for(actor, group_id)
    rows = selectors.shared_for_group(
        access.group.pk, actor=actor, facilitator=access.is_facilitator
    )
    return render(request, "web/milestones/group.html", _group_context(access, rows=rows))


@milestones_page
@require_http_methods(["GET", "HEAD", "POST"])
def hide(request: HttpRequest, milestone_id: int) -> HttpResponse:
    actor = actor_of(request)
    milestone = services.facilitated_milestone(actor, milestone_id)
    form = HideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.milestone_hide(
                actor=actor, milestone=milestone, reason=form.cleaned_data["reason"]
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Hidden from the group. The member's words are kept."))
            return redirect("web:milestones_group", group_id=milestone.group_id)
    row = selectors.shared_rows([milestone], actor=actor, facilitator=True)[0]
    return render(
        request,
        "web/milestones/hide.html",
        {"section": SECTION, "milestone": milestone, "row": row, "form": form},
        status=400 if form.errors else 200,
    )


@milestones_page
@require_POST
def restore(request: HttpRequest, milestone_id: int) -> HttpResponse:
    actor = actor_of(request)
    milestone = services.facilitated_milestone(actor, milestone_id)
    try:
        services.milestone_restore(actor=actor, milestone=milestone)
        messages.success(request, _("The group can see it again."))
    except KindredError as exc:
        messages.error(request, exc.message)
    return redirect("web:milestones_group", group_id=milestone.group_id)


# --- anonymous trends (facilitators) ---------------------------------------------------


def _facilitator_access(request: HttpRequest, group_id: int) -> SpaceAccess:
    actor = actor_of(request)
    access = get_space_for(actor, group_id)
    if not access.is_facilitator:
        deny(actor, TherapyGroup, group_id)
    return access


@milestones_page
@require_safe
def trends(request: HttpRequest, group_id: int) -> HttpResponse:
    access = _facilitator_access(request, group_id)
    found = group_trends(access.group)
    return render(
        request,
        "web/milestones/trends.html",
        _group_context(access, trends=found, chart=found.chart(), min_cell=MIN_CELL),
    )


@milestones_page
@require_safe
def trends_session(request: HttpRequest, group_id: int) -> HttpResponse:
    access = _facilitator_access(request, group_id)
    found = group_trends(access.group)
    return render(
        request,
        "web/milestones/trends_session.html",
        _group_context(access, trends=found, chart=found.chart(), min_cell=MIN_CELL),
    )


# --- a member's milestones, for staff --------------------------------------------------


@milestones_page
@require_safe
def client(request: HttpRequest, client_id: int) -> HttpResponse:
    actor = actor_of(request)
    if not getattr(actor, "is_staff_member", False):
        from kindred.clients.models import Client

        deny(actor, Client, client_id)
    record, rows = selectors.client_milestones(actor=actor, client_id=client_id)
    return render(
        request,
        "web/milestones/client.html",
        {"section": SECTION, "client": record, "rows": rows},
    )
