"""Practice set-up pages: the practice profile, locations and rooms, compacts.

Staff and clinician pages live beside this module (staff_views, clinician_views). Each
view authorizes through ``kindred.practice.access`` (not allowed to see = 404, allowed to
see but not to change = 403), validates with a form and calls one service.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from kindred.core.errors import KindredError, NotPermitted
from kindred.practice import access, licensure, selectors, services
from kindred.practice.models import (
    DEFAULT_CRISIS_TEXT,
    Compact,
    CompactMemberState,
    default_reminder_offsets,
)
from kindred.practice.settings import practice_today
from kindred.web.forms import apply_error
from kindred.web.pages import signed_in_page
from kindred.web.paging import paginate
from kindred.web.practice.forms import (
    CompactForm,
    EndMemberStateForm,
    LocationForm,
    MemberStateForm,
    PracticeForm,
    RoomForm,
)

if TYPE_CHECKING:
    from kindred.accounts.models import User

View = Callable[..., HttpResponse]

# --- Shared by the practice, staff and clinician pages --------------------------------


#: The staff sections' page decorator is the one every section uses: signed in first,
#: then the view; a service's NotPermitted becomes a 403 page (NotFound is a 404 already).
staff_page = signed_in_page


def actor_of(request: HttpRequest) -> User:
    return cast("User", request.user)


def submit[T](
    request: HttpRequest, form: forms.Form, save: Callable[[dict[str, Any]], T]
) -> T | None:
    """On a valid POST, call the service; show its error beside the field if it refuses.
    Returns what the service returned, or None when the form should be shown again."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return save(form.cleaned_data)
    except NotPermitted:
        raise
    except KindredError as exc:
        apply_error(form, exc)
        return None


def form_page(
    request: HttpRequest,
    *,
    form: forms.Form,
    title: str,
    back_url: str,
    back_label: str,
    submit_label: str,
    section: str,
    intro: str = "",
    danger: bool = False,
) -> HttpResponse:
    return render(
        request,
        "web/practice/form_page.html",
        {
            "form": form,
            "title": title,
            "intro": intro,
            "back_url": back_url,
            "back_label": back_label,
            "submit_label": submit_label,
            "danger": danger,
            "section": section,
        },
    )


def initial_from(instance: Any, form_class: type[forms.Form]) -> dict[str, Any]:
    return model_to_dict(instance, fields=list(form_class.base_fields))


# --- Practice profile -----------------------------------------------------------------


@staff_page
def practice_profile(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    practice = selectors.practice_get(actor=actor)
    can_edit = access.can_manage_practice(actor)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    form: PracticeForm | None = None
    if can_edit:
        initial = (
            initial_from(practice, PracticeForm)
            if practice
            else {
                "timezone": "America/Chicago",
                "crisis_resources": DEFAULT_CRISIS_TEXT,
                "staff_idle_minutes": 15,
                "member_idle_minutes": 30,
                "reminder_minutes_before": default_reminder_offsets(),
                "record_retention_years": 7,
            }
        )
        form = PracticeForm(request.POST or None, initial=initial)
        saved = submit(request, form, lambda data: services.practice_save(actor=actor, **data))
        if saved is not None:
            messages.success(request, _("The practice profile is saved."))
            return redirect("web:practice_profile")
    return render(
        request,
        "web/practice/profile.html",
        {"practice": practice, "form": form, "can_edit": can_edit, "section": "practice"},
    )


# --- Locations and rooms --------------------------------------------------------------


@staff_page
@require_safe
def location_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    status = selectors.ActiveFilter.parse(request.GET.get("status"))
    locations = selectors.location_list(actor=actor, status=status)
    return render(
        request,
        "web/practice/location_list.html",
        {
            **paginate(request, locations),
            "status": status,
            "can_edit": access.can_manage_practice(actor),
            "section": "practice",
        },
    )


@staff_page
def location_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    access.require_practice_view(actor, write=True)
    form = LocationForm(request.POST or None, initial={"timezone": "America/Chicago"})
    location = submit(request, form, lambda data: services.location_create(actor=actor, **data))
    if location is not None:
        messages.success(request, _("Location added. Now add its rooms."))
        return redirect("web:location_detail", location.pk)
    return form_page(
        request,
        form=form,
        title=_("Add a location"),
        back_url=reverse("web:location_list"),
        back_label=_("Locations"),
        submit_label=_("Add location"),
        section="practice",
    )


@staff_page
@require_safe
def location_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    location = access.get_location_for(actor, pk)
    return render(
        request,
        "web/practice/location_detail.html",
        {
            "location": location,
            "rooms": selectors.room_list(actor=actor, location=location),
            "can_edit": access.can_manage_practice(actor),
            "section": "practice",
        },
    )


@staff_page
def location_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    location = access.get_location_for(actor, pk, write=True)
    name = location.name
    form = LocationForm(request.POST or None, initial=initial_from(location, LocationForm))
    if submit(
        request,
        form,
        lambda data: services.location_update(actor=actor, location=location, **data),
    ):
        messages.success(request, _("Location saved."))
        return redirect("web:location_detail", location.pk)
    return form_page(
        request,
        form=form,
        title=_("Edit %(name)s") % {"name": name},
        back_url=reverse("web:location_detail", args=[pk]),
        back_label=name,
        submit_label=_("Save location"),
        section="practice",
    )


@staff_page
@require_POST
def location_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    location = access.get_location_for(actor, pk, write=True)
    services.location_deactivate(actor=actor, location=location)
    messages.success(request, _("%(name)s is no longer in use.") % {"name": location.name})
    return redirect("web:location_detail", pk)


@staff_page
@require_POST
def location_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    location = access.get_location_for(actor, pk, write=True)
    services.location_reactivate(actor=actor, location=location)
    messages.success(request, _("%(name)s is in use again.") % {"name": location.name})
    return redirect("web:location_detail", pk)


@staff_page
def room_create(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    location = access.get_location_for(actor, pk, write=True)
    form = RoomForm(request.POST or None, initial={"capacity": 10})
    if submit(
        request,
        form,
        lambda data: services.room_create(actor=actor, location=location, **data),
    ):
        messages.success(request, _("Room added."))
        return redirect("web:location_detail", location.pk)
    return form_page(
        request,
        form=form,
        title=_("Add a room to %(name)s") % {"name": location.name},
        back_url=reverse("web:location_detail", args=[pk]),
        back_label=location.name,
        submit_label=_("Add room"),
        section="practice",
    )


@staff_page
def room_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    room = access.get_room_for(actor, pk, write=True)
    name = room.name
    form = RoomForm(request.POST or None, initial=initial_from(room, RoomForm))
    if submit(request, form, lambda data: services.room_update(actor=actor, room=room, **data)):
        messages.success(request, _("Room saved."))
        return redirect("web:location_detail", room.location_id)
    return form_page(
        request,
        form=form,
        title=_("Edit room %(name)s") % {"name": name},
        back_url=reverse("web:location_detail", args=[room.location_id]),
        back_label=room.location.name,
        submit_label=_("Save room"),
        section="practice",
    )


@staff_page
@require_POST
def room_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    room = access.get_room_for(actor, pk, write=True)
    services.room_deactivate(actor=actor, room=room)
    messages.success(request, _("Room %(name)s is no longer in use.") % {"name": room.name})
    return redirect("web:location_detail", room.location_id)


@staff_page
@require_POST
def room_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    room = access.get_room_for(actor, pk, write=True)
    services.room_reactivate(actor=actor, room=room)
    messages.success(request, _("Room %(name)s is in use again.") % {"name": room.name})
    return redirect("web:location_detail", room.location_id)


# --- Compacts -------------------------------------------------------------------------


def _membership_rows(member_states: list[CompactMemberState], today: date) -> list[dict[str, Any]]:
    rows = []
    for m in member_states:
        period = licensure.MembershipPeriod(
            m.compact_id, m.state, m.effective_from, m.effective_until
        )
        if period.covers(today):
            label, tone = _("Member now"), "ok"
        elif m.effective_from > today:
            label, tone = _("Joins later"), "warn"
        else:
            label, tone = _("Membership ended"), "danger"
        rows.append({"period": m, "label": label, "tone": tone})
    return rows


@staff_page
@require_safe
def compact_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    today = practice_today()
    compacts = list(selectors.compact_list(actor=actor))
    rows = [
        {
            "compact": c,
            "current": sorted(
                licensure.member_states_on(selectors.periods_of(c.member_states.all()), c.pk, today)
            ),
        }
        for c in compacts
    ]
    return render(
        request,
        "web/practice/compact_list.html",
        {"rows": rows, "can_edit": access.can_manage_practice(actor), "section": "practice"},
    )


@staff_page
def compact_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    access.require_practice_view(actor, write=True)
    form = CompactForm(request.POST or None)
    compact = submit(request, form, lambda data: services.compact_create(actor=actor, **data))
    if compact is not None:
        messages.success(request, _("Compact added. Now add its member states."))
        return redirect("web:compact_detail", compact.pk)
    return form_page(
        request,
        form=form,
        title=_("Add a compact"),
        intro=_(
            "An interstate licensure compact, such as PSYPACT or the Counseling Compact. "
            "Membership changes over time, so you add its member states with dates."
        ),
        back_url=reverse("web:compact_list"),
        back_label=_("Compacts"),
        submit_label=_("Add compact"),
        section="practice",
    )


def _compact_page(
    request: HttpRequest, compact: Compact, *, add_form: MemberStateForm | None
) -> HttpResponse:
    actor = actor_of(request)
    today = practice_today()
    members = list(selectors.member_state_list(actor=actor, compact=compact))
    can_edit = access.can_manage_practice(actor)
    return render(
        request,
        "web/practice/compact_detail.html",
        {
            "compact": compact,
            "rows": _membership_rows(members, today),
            "current": sorted(
                licensure.member_states_on(selectors.periods_of(members), compact.pk, today)
            ),
            "can_edit": can_edit,
            "add_form": (add_form or MemberStateForm()) if can_edit else None,
            "section": "practice",
        },
    )


@staff_page
@require_safe
def compact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    compact = access.get_compact_for(actor_of(request), pk)
    return _compact_page(request, compact, add_form=None)


@staff_page
def compact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    compact = access.get_compact_for(actor, pk, write=True)
    name = compact.name
    form = CompactForm(request.POST or None, initial=initial_from(compact, CompactForm))
    if submit(
        request, form, lambda data: services.compact_update(actor=actor, compact=compact, **data)
    ):
        messages.success(request, _("Compact saved."))
        return redirect("web:compact_detail", compact.pk)
    return form_page(
        request,
        form=form,
        title=_("Edit %(name)s") % {"name": name},
        back_url=reverse("web:compact_detail", args=[pk]),
        back_label=name,
        submit_label=_("Save compact"),
        section="practice",
    )


@staff_page
@require_POST
def compact_state_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    compact = access.get_compact_for(actor, pk, write=True)
    form = MemberStateForm(request.POST)
    if submit(
        request,
        form,
        lambda data: services.compact_member_state_add(actor=actor, compact=compact, **data),
    ):
        messages.success(request, _("Member state added."))
        return redirect("web:compact_detail", compact.pk)
    return _compact_page(request, compact, add_form=form)


@staff_page
def compact_state_end(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    member = access.get_member_state_for(actor, pk, write=True)
    form = EndMemberStateForm(
        request.POST or None, initial={"effective_until": member.effective_until}
    )
    if submit(
        request,
        form,
        lambda data: services.compact_member_state_end(actor=actor, member_state=member, **data),
    ):
        messages.success(request, _("Membership end date saved."))
        return redirect("web:compact_detail", member.compact_id)
    return form_page(
        request,
        form=form,
        title=_("End %(state)s's membership of %(compact)s")
        % {"state": member.get_state_display(), "compact": member.compact.name},
        back_url=reverse("web:compact_detail", args=[member.compact_id]),
        back_label=member.compact.name,
        submit_label=_("Save end date"),
        section="practice",
    )
