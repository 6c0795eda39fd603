"""Goals pages: members (phone first) and the facilitators of their groups.

Who may see which goal is decided by ``kindred.goals.access`` (404 and a denied event
for everyone else); every change goes through ``kindred.goals.services``. After a
member's words raised a safety alert the next page shows crisis resources at once (a
one-time mark in their own session, so nobody else ever sees it).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kindred.core.errors import KindredError, NotPermitted
from kindred.goals import selectors, services
from kindred.goals.access import (
    GoalAccess,
    active_groups_of,
    get_goal_for,
    get_staff_group_for,
    staff_goal_groups,
)
from kindred.goals.models import GoalStatus, SupportReply
from kindred.space.access import member_client
from kindred.web.forms import apply_error
from kindred.web.goals.forms import CheckInForm, GoalForm, HideForm, ReplyForm
from kindred.web.pages import actor_of, member_client_or_404, signed_in_page

SECTION = "goals"
CRISIS_KEY = "goals_crisis"


goals_page = signed_in_page


def _flag_crisis(request: HttpRequest, flagged: bool) -> None:
    if flagged:
        request.session[CRISIS_KEY] = True


def _crisis(request: HttpRequest) -> bool:
    return bool(request.session.pop(CRISIS_KEY, False))


def _groups(client: Any) -> list[tuple[int, str]]:
    return list(active_groups_of(client).order_by("name", "pk").values_list("pk", "name"))


def _goal_data(form: GoalForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    if data.get("group_id") == "":
        data["group_id"] = None
    return data


# --- the member's own goals ------------------------------------------------------------


@goals_page
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    client = member_client(actor)
    if client is None:
        if getattr(actor, "is_staff_member", False):
            return redirect("web:goals_staff")
        raise Http404("Not found.")
    rows = selectors.my_goals(client)
    return render(
        request,
        "web/goals/home.html",
        {
            "section": SECTION,
            "rows": rows,
            "in_group": bool(_groups(client)),
            "crisis": _crisis(request),
        },
    )


@goals_page
@require_http_methods(["GET", "HEAD", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    client = member_client_or_404(request)
    groups = _groups(client)
    form = GoalForm(request.POST or None, groups=groups, initial={"nudges": True})
    if request.method == "POST" and form.is_valid():
        try:
            goal = services.goal_create(
                actor=actor_of(request), client=client, data=_goal_data(form)
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            _flag_crisis(request, bool(goal.risk_categories))
            messages.success(request, _("Your goal is set. One small step at a time."))
            return redirect("web:goals_detail", goal_id=goal.pk)
    return render(
        request,
        "web/goals/form.html",
        {"section": SECTION, "form": form, "goal": None},
        status=400 if form.errors else 200,
    )


@goals_page
@require_http_methods(["GET", "HEAD", "POST"])
def edit(request: HttpRequest, goal_id: int) -> HttpResponse:
    actor = actor_of(request)
    access = get_goal_for(actor, goal_id)
    if not access.is_owner:
        raise NotPermitted(_("Only the member whose goal this is can change it."))
    goal = access.goal
    initial = {
        "what": goal.what,
        "why": goal.why,
        "by_when": goal.by_when.isoformat() if goal.by_when else "",
        "next_step": goal.next_step,
        "group_id": goal.group_id,
        "shared_with_group": goal.shared_with_group,
        "nudges": goal.nudges,
        "nudge_day": goal.nudge_day,
    }
    form = GoalForm(request.POST or None, groups=_groups(goal.client), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = _goal_data(form)
        if "shared_with_group" not in form.fields:
            data["shared_with_group"] = False
        before = (goal.what, goal.why, goal.next_step)
        try:
            goal = services.goal_update(actor=actor, access=access, data=data)
        except KindredError as exc:
            apply_error(form, exc)
        else:
            wrote = before != (goal.what, goal.why, goal.next_step)
            _flag_crisis(request, bool(goal.risk_categories) and wrote)
            messages.success(request, _("Saved."))
            return redirect("web:goals_detail", goal_id=goal.pk)
    return render(
        request,
        "web/goals/form.html",
        {"section": SECTION, "form": form, "goal": goal},
        status=400 if form.errors else 200,
    )


@goals_page
@require_POST
def set_status(request: HttpRequest, goal_id: int) -> HttpResponse:
    actor = actor_of(request)
    access = get_goal_for(actor, goal_id)
    status = request.POST.get("status", "")
    try:
        services.goal_set_status(actor=actor, access=access, status=status)
    except KindredError as exc:
        messages.error(request, exc.message)
    else:
        if status == GoalStatus.REACHED:
            messages.success(request, _("You reached your goal. That is worth celebrating!"))
        elif status == GoalStatus.SET_ASIDE:
            messages.info(
                request, _("Set aside for now. You can take it up again whenever you like.")
            )
        else:
            messages.success(request, _("Welcome back to this goal."))
    return redirect("web:goals_detail", goal_id=access.goal.pk)


# --- one goal: history, check-in, replies ----------------------------------------------


def _detail_context(request: HttpRequest, access: GoalAccess, **extra: Any) -> dict[str, Any]:
    detail = selectors.goal_detail(access, actor_of(request))
    return {
        "section": SECTION,
        "detail": detail,
        "goal": detail.goal,
        "access": access,
        "crisis": _crisis(request),
        "reply_form": extra.pop("reply_form", None) or ReplyForm(),
        "hide_form": HideForm(),
        **extra,
    }


@goals_page
@require_safe
def detail(request: HttpRequest, goal_id: int) -> HttpResponse:
    access = get_goal_for(actor_of(request), goal_id)
    return render(request, "web/goals/detail.html", _detail_context(request, access))


@goals_page
@require_http_methods(["GET", "HEAD", "POST"])
def checkin(request: HttpRequest, goal_id: int) -> HttpResponse:
    actor = actor_of(request)
    access = get_goal_for(actor, goal_id)
    if not access.is_owner:
        raise NotPermitted(_("Only the member whose goal this is can check in on it."))
    week = services.week_of_for(access.goal.client)
    current = access.goal.checkins.filter(week_of=week).first()
    initial = {"progress": current.progress, "note": current.note} if current else {}
    form = CheckInForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved, created = services.checkin_record(
                actor=actor,
                access=access,
                progress=form.cleaned_data["progress"],
                note=form.cleaned_data["note"],
                # The form shows this week's check-in when there is one: saving it
                # changes it. A check-in made elsewhere meanwhile is refused instead.
                replace=current is not None,
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            _flag_crisis(request, saved.risk_flagged)
            messages.success(
                request,
                _("Thank you for checking in.")
                if created
                else _("This week's check-in is updated."),
            )
            return redirect("web:goals_detail", goal_id=access.goal.pk)
    return render(
        request,
        "web/goals/checkin.html",
        {"section": SECTION, "goal": access.goal, "form": form, "current": current, "week": week},
        status=400 if form.errors else 200,
    )


@goals_page
@require_POST
def reply(request: HttpRequest, goal_id: int) -> HttpResponse:
    actor = actor_of(request)
    access = get_goal_for(actor, goal_id, allow_former=True)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            saved = services.reply_create(
                actor=actor, access=access, body=form.cleaned_data["body"]
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            _flag_crisis(request, saved.risk_flagged)
            messages.success(request, _("Your support was sent."))
            target = request.POST.get("next", "")
            if target != "group":
                return redirect(reverse("web:goals_detail", args=[access.goal.pk]) + "#replies")
            return redirect(reverse("web:goals_shared") + f"#goal-{access.goal.pk}")
    if access.role == "former":
        return render(
            request,
            "web/goals/left.html",
            {"section": SECTION, "errors": form.non_field_errors() or form.errors.get("body")},
            status=409,
        )
    return render(
        request,
        "web/goals/detail.html",
        _detail_context(request, access, reply_form=form),
        status=400,
    )


@goals_page
@require_POST
def reply_moderate(request: HttpRequest, reply_id: int) -> HttpResponse:
    actor = actor_of(request)
    goal_id = SupportReply.objects.filter(pk=reply_id).values_list("goal_id", flat=True).first()
    access = get_goal_for(actor, goal_id or 0)
    target = SupportReply.objects.get(pk=reply_id)
    try:
        if request.POST.get("change") == "restore":
            services.reply_restore(actor=actor, access=access, reply=target)
            messages.success(request, _("The reply is visible again."))
        else:
            services.reply_hide(
                actor=actor, access=access, reply=target, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("The reply is hidden. Its text is kept."))
    except KindredError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("web:goals_detail", args=[access.goal.pk]) + "#replies")


# --- the group's shared goals (members) ------------------------------------------------


@goals_page
@require_safe
def shared(request: HttpRequest) -> HttpResponse:
    client = member_client_or_404(request)
    groups = selectors.group_shared_goals(client, actor_of(request))
    return render(
        request,
        "web/goals/shared.html",
        {
            "section": SECTION,
            "groups": groups,
            "reply_form": ReplyForm(),
            "crisis": _crisis(request),
        },
    )


# --- facilitators ----------------------------------------------------------------------


@goals_page
@require_safe
def staff_groups(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not getattr(actor, "is_staff_member", False):
        raise Http404("Not found.")
    panel = selectors.facilitator_panel(actor) or {"panel": {"groups": []}}
    groups = list(staff_goal_groups(actor).filter(status="active").order_by("name", "pk")[:200])
    return render(
        request,
        "web/goals/staff_groups.html",
        {"section": SECTION, "groups": groups, **panel},
    )


@goals_page
@require_safe
def group(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = actor_of(request)
    found = get_staff_group_for(actor, group_id)
    view = selectors.group_goals(found, actor)
    return render(request, "web/goals/group.html", {"section": SECTION, "view": view})
