"""Group pages for staff: the list, a group's page, create and edit, status changes,
and places in the group (offer, join, graduate, withdraw, remove).

Each view: authorize (groups/access.py, groups/selectors.py) → validate the shape
(forms.py) → call one service → render. Rules live in the services. Members have their
own pages (web/member); these answer them 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from kindred.clients import selectors as client_selectors
from kindred.core.access import deny
from kindred.core.errors import KindredError
from kindred.groups import access, selectors, services
from kindred.groups.models import TherapyGroup
from kindred.intake import admission
from kindred.practice import roles as role_checks
from kindred.practice.models import Location
from kindred.practice.roles import Capability
from kindred.web.forms import apply_error
from kindred.web.groups.forms import (
    EndPlaceForm,
    GroupCreateForm,
    GroupFilterForm,
    GroupForm,
    InviteSearchForm,
    StatusActionForm,
)
from kindred.web.pages import actor_of, staff_page_for
from kindred.web.paging import paginate

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.groups.models import Enrollment

staff_page = staff_page_for(TherapyGroup, "group_id")


def _to_group(group: TherapyGroup, anchor: str = "") -> HttpResponse:
    url = reverse("web:group_detail", kwargs={"group_id": group.pk})
    return redirect(f"{url}#{anchor}" if anchor else url)


# --- List ------------------------------------------------------------------------------


@staff_page
@require_safe
def group_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    concerns = client_selectors.concern_list(actor=actor)
    clinicians = selectors.facilitator_choices(actor=actor)
    form = GroupFilterForm(request.GET or None, concerns=concerns, clinicians=clinicians)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    facilitator = data.get("facilitator")
    concern = data.get("concern")
    filters = selectors.GroupFilters(
        search=data.get("search") or "",
        status=data.get("status") or selectors.STATUS_LIVE,
        modality=data.get("modality") or "",
        facilitator=facilitator.pk if facilitator is not None else None,
        concern=concern.pk if concern is not None else None,
    )
    context = paginate(request, selectors.group_list(actor=actor, filters=filters))
    filtered = (
        any([filters.search, filters.modality, filters.facilitator, filters.concern])
        or filters.status != selectors.STATUS_LIVE
    )
    context.update(
        {
            "section": "groups",
            "form": form,
            "filtered": filtered,
            "sees_all": role_checks.has(actor, Capability.VIEW_ALL_GROUPS),
            "can_create": selectors.can_manage(actor),
        }
    )
    return render(request, "web/groups/group_list.html", context)


# --- Detail ----------------------------------------------------------------------------


@staff_page
@require_safe
def group_detail(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = actor_of(request)
    context = selectors.group_detail(actor=actor, group_id=group_id)
    context["section"] = "groups"
    if context["roster"]:
        # Each place's admission steps (screened, agreement, preparation): one query.
        admission.annotate_roster(context["roster"])  # type: ignore[arg-type]
    group = context["group"]
    assert isinstance(group, TherapyGroup)  # noqa: S101 - for the type checker
    context["status_actions"] = [
        (action, STATUS_ACTIONS[action]["title"]) for action in services.status_actions(group)
    ]
    return render(request, "web/groups/group_detail.html", context)


# --- Create and edit -------------------------------------------------------------------


def _form_choices(actor: User) -> dict[str, Any]:
    return {
        "concerns": client_selectors.concern_choices(actor=actor),
        "clinicians": selectors.facilitator_choices(actor=actor),
        "locations": Location.objects.filter(is_active=True).order_by("name", "id"),
        "rooms": selectors.room_choices(actor=actor),
    }


@staff_page
@require_http_methods(["GET", "POST"])
def group_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    role_checks.require(actor, Capability.MANAGE_GROUPS)
    form = GroupCreateForm(
        request.POST if request.method == "POST" else None, **_form_choices(actor)
    )
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_create(actor=actor, **form.service_kwargs())
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s is set up and its sessions are scheduled.") % {"name": group.name},
            )
            return _to_group(group)
    return render(
        request,
        "web/groups/group_form.html",
        {"section": "groups", "form": form, "group": None},
    )


def _initial(group: TherapyGroup) -> dict[str, Any]:
    initial: dict[str, Any] = {f: getattr(group, f) for f in services.EDITABLE_FIELDS}
    initial["fee"] = group.fee_cents / 100
    initial["concerns"] = [c.pk for c in group.concerns.all()]
    initial["co_facilitators"] = [c.pk for c in group.co_facilitators.all()]
    initial["location"] = group.location_id
    initial["room"] = group.room_id
    initial["lead_facilitator"] = group.lead_facilitator_id
    initial["agreement_version"] = group.agreement_version_id
    return initial


@staff_page
@require_http_methods(["GET", "POST"])
def group_update(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = actor_of(request)
    group = access.get_group_for(actor, group_id, write=True)
    form = GroupForm(
        request.POST if request.method == "POST" else None,
        initial=_initial(group),
        **_form_choices(actor),
    )
    if request.method == "POST" and form.is_valid():
        data = form.service_kwargs()
        data.pop("slug", None)
        try:
            services.group_update(actor=actor, group=group, **data)
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Group saved."))
            return _to_group(group)
    return render(
        request,
        "web/groups/group_form.html",
        {"section": "groups", "form": form, "group": group},
    )


# --- Status ----------------------------------------------------------------------------

STATUS_ACTIONS: dict[str, dict[str, Any]] = {
    "activate": {
        "service": services.group_activate,
        "title": gettext_lazy("Start meeting"),
        "intro": gettext_lazy(
            "The group becomes active. A paused group's sessions come back where the "
            "schedule still has them, and members are told."
        ),
        "done": gettext_lazy("The group is active."),
        "danger": False,
    },
    "pause": {
        "service": services.group_pause,
        "title": gettext_lazy("Pause the group"),
        "intro": gettext_lazy(
            "Every session that has not started is cancelled (“Group paused”) and members "
            "and facilitators are told. Places are kept. Resume it to bring the sessions back."
        ),
        "done": gettext_lazy("The group is paused; its coming sessions are cancelled."),
        "danger": True,
    },
    "complete": {
        "service": services.group_complete,
        "title": gettext_lazy("Mark the group completed"),
        "intro": gettext_lazy(
            "For a group that has finished. Any session that has not started is cancelled. "
            "This cannot be undone."
        ),
        "done": gettext_lazy("The group is completed."),
        "danger": True,
    },
    "cancel": {
        "service": services.group_cancel,
        "title": gettext_lazy("Cancel the group"),
        "intro": gettext_lazy(
            "Every session that has not started is cancelled, and members and facilitators "
            "are told by a notification and a short email. This cannot be undone."
        ),
        "done": gettext_lazy("The group is cancelled."),
        "danger": True,
    },
}


@staff_page
@require_http_methods(["GET", "POST"])
def group_status(request: HttpRequest, group_id: int, action: str) -> HttpResponse:
    actor = actor_of(request)
    spec = STATUS_ACTIONS.get(action)
    group = access.get_group_for(actor, group_id, write=True)
    if spec is None:
        raise Http404
    form = StatusActionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            spec["service"](actor=actor, group=group)
        except KindredError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, str(spec["done"]))
        return _to_group(group)
    back = reverse("web:group_detail", kwargs={"group_id": group.pk})
    return render(
        request,
        "web/practice/form_page.html",
        {
            "section": "groups",
            "form": form,
            "title": f"{spec['title']}: {group.name}",
            "intro": spec["intro"],
            "submit_label": spec["title"],
            "danger": spec["danger"],
            "back_url": back,
            "back_label": group.name,
        },
    )


# --- Places in the group -----------------------------------------------------------------


@staff_page
@require_http_methods(["GET", "POST"])
def roster_invite(request: HttpRequest, group_id: int) -> HttpResponse:
    """Find a client and offer them a place (POST ``client`` = id)."""
    actor = actor_of(request)
    group = access.get_group_for(actor, group_id, write=True)
    if request.method == "POST":
        from kindred.clients.access import get_client_for

        client = get_client_for(actor, request.POST.get("client"))
        try:
            services.enrollment_invite(actor=actor, group=group, client=client)
        except KindredError as exc:
            messages.error(request, exc.message)
            query = request.POST.get("q", "")
            url = reverse("web:roster_invite", kwargs={"group_id": group.pk})
            return redirect(f"{url}?q={query}" if query else url)
        messages.success(
            request,
            _("%(name)s has been offered a place. Mark them joined once they have agreed.")
            % {"name": client.display_name},
        )
        return _to_group(group, "roster")
    form = InviteSearchForm(request.GET or None)
    search = form.cleaned_data.get("q", "") if form.is_bound and form.is_valid() else ""
    candidates = (
        selectors.invite_candidates(actor=actor, group=group, search=search) if search else []
    )
    return render(
        request,
        "web/groups/roster_invite.html",
        {
            "section": "groups",
            "group": group,
            "form": form,
            "search": search,
            "candidates": candidates,
            "seats_left": max(0, group.max_size - services.seats_taken(group)),
        },
    )


def _enrollment(actor: User, group: TherapyGroup, enrollment_id: int) -> Enrollment:
    enrollment = access.get_enrollment_for(actor, enrollment_id, write=True)
    if enrollment.group_id != group.pk:
        from kindred.groups.models import Enrollment as EnrollmentModel

        deny(actor, EnrollmentModel, enrollment_id)
    return enrollment


PLACE_ACTIONS: dict[str, dict[str, Any]] = {
    "graduate": {
        "service": services.enrollment_graduate,
        "title": gettext_lazy("Graduate %(name)s"),
        "intro": gettext_lazy("A planned ending: they completed the group."),
        "done": gettext_lazy("%(name)s has graduated."),
        "reason_required": False,
    },
    "withdraw": {
        "service": services.enrollment_withdraw,
        "title": gettext_lazy("%(name)s is leaving"),
        "intro": gettext_lazy("They chose to leave, or declined the place."),
        "done": gettext_lazy("%(name)s's place has ended."),
        "reason_required": True,
    },
    "remove": {
        "service": services.enrollment_remove,
        "title": gettext_lazy("Remove %(name)s"),
        "intro": gettext_lazy("The practice ends their place in the group."),
        "done": gettext_lazy("%(name)s's place has ended."),
        "reason_required": True,
    },
}


@staff_page
@require_http_methods(["POST"])
def enrollment_activate(request: HttpRequest, group_id: int, enrollment_id: int) -> HttpResponse:
    actor = actor_of(request)
    group = access.get_group_for(actor, group_id, write=True)
    enrollment = _enrollment(actor, group, enrollment_id)
    try:
        services.enrollment_activate(actor=actor, enrollment=enrollment)
    except KindredError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(name)s has joined the group.") % {"name": enrollment.client.display_name}
        )
    return _to_group(group, "roster")


@staff_page
@require_http_methods(["GET", "POST"])
def enrollment_end(
    request: HttpRequest, group_id: int, enrollment_id: int, action: str
) -> HttpResponse:
    actor = actor_of(request)
    group = access.get_group_for(actor, group_id, write=True)
    spec = PLACE_ACTIONS.get(action)
    if spec is None:
        raise Http404
    enrollment = _enrollment(actor, group, enrollment_id)
    name = enrollment.client.display_name
    form = EndPlaceForm(
        request.POST if request.method == "POST" else None,
        reason_required=spec["reason_required"],
        tz_name=group.timezone,
    )
    if request.method == "POST" and form.is_valid():
        try:
            spec["service"](
                actor=actor,
                enrollment=enrollment,
                reason=form.cleaned_data["reason"],
                ended_at=form.when(),
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, str(spec["done"]) % {"name": name})
            return _to_group(group, "roster")
    back = reverse("web:group_detail", kwargs={"group_id": group.pk}) + "#roster"
    return render(
        request,
        "web/practice/form_page.html",
        {
            "section": "groups",
            "form": form,
            "title": str(spec["title"]) % {"name": name},
            "intro": spec["intro"],
            "submit_label": _("Save"),
            "danger": action == "remove",
            "back_url": back,
            "back_label": group.name,
        },
    )
