"""The coordinator's waitlist: the list (filters, urgency then longest wait, paged, a
constant number of queries) and an entry's page (the person, their referrals, the
contact log, status changes with reasons, "do not place with" exclusions).

Each view: authorize (intake/access.py, intake/selectors.py) → validate the shape
(forms.py) → call one service (intake/waitlist.py) → render. Times typed on these pages
are in the practice's time zone.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from kindred.clients.access import get_client_for
from kindred.clients.selectors import concern_list
from kindred.core.errors import KindredError, NotPermitted, ValidationFailed
from kindred.intake import screening_access, selectors
from kindred.intake import waitlist as waitlist_services
from kindred.intake.access import get_entry_for, get_exclusion_for
from kindred.intake.models import OPEN_WAITLIST_STATUSES, WaitlistEntry
from kindred.intake.selectors import STATUS_OPEN, WaitlistFilters
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability
from kindred.practice.settings import practice_settings
from kindred.web.forms import apply_error
from kindred.web.intake.common import actor_of, waitlist_page
from kindred.web.intake.forms import (
    ContactForm,
    ExclusionForm,
    ExclusionSearchForm,
    StatusForm,
    WaitlistFilterForm,
)
from kindred.web.paging import paginate


def _practice_zone() -> ZoneInfo:
    try:
        return ZoneInfo(practice_settings().timezone)
    except (KeyError, ValueError):
        return ZoneInfo("America/Chicago")


@waitlist_page
@require_safe
def waitlist(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = WaitlistFilterForm(request.GET or None, concerns=concern_list(actor=actor))
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    concern = data.get("concern")
    filters = WaitlistFilters(
        concern=concern.pk if concern is not None else None,
        state=data.get("state") or "",
        modality=data.get("modality") or "",
        waited_weeks=data.get("waited"),
        urgency=data.get("urgency") or "",
        status=data.get("status") or STATUS_OPEN,
    )
    now = timezone.now()
    context = paginate(request, selectors.waitlist_list(actor=actor, filters=filters, now=now))
    context.update(
        {
            "section": "waitlist",
            "form": form,
            "filtered": filters.narrowed,
            "rows": selectors.waitlist_rows(context["page_obj"].object_list, now=now),
            "needs_review": selectors.needs_review_count(actor),
            "can_manage": role_checks.has(actor, Capability.MANAGE_CLIENTS),
        }
    )
    return render(request, "web/intake/waitlist.html", context)


def _people(actor: Any, entry: WaitlistEntry, find: str) -> list[tuple[int, str]]:
    found = selectors.exclusion_candidates(actor=actor, entry=entry, search=find)
    return [
        (
            c.pk,
            _("%(name)s, born %(born)s")
            % {"name": c.display_name, "born": c.date_of_birth.strftime("%Y-%m-%d")},
        )
        for c in found
    ]


def _entry_page(
    request: HttpRequest,
    entry_id: int,
    *,
    status_form: StatusForm | None = None,
    contact_form: ContactForm | None = None,
    exclusion_form: ExclusionForm | None = None,
    find: str | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = actor_of(request)
    context = selectors.entry_detail(actor=actor, entry_id=entry_id)
    entry = context["entry"]
    can_manage = role_checks.has(actor, Capability.MANAGE_CLIENTS)
    search = ExclusionSearchForm(request.GET if find is None else {"find": find})
    find = search.cleaned_data.get("find", "") if search.is_valid() else ""
    if contact_form is None:
        now_local = timezone.localtime(timezone.now(), _practice_zone())
        contact_form = ContactForm(initial={"at": now_local.strftime("%Y-%m-%dT%H:%M")})
    people = _people(actor, entry, find) if can_manage and find else []
    context.update(
        {
            "section": "waitlist",
            "can_manage": can_manage,
            "status_form": status_form or StatusForm(),
            "contact_form": contact_form,
            "search_form": search,
            "find": find,
            "exclusion_form": exclusion_form or ExclusionForm(people=people),
            "searched": bool(find),
            # The way on to screening while they still wait (intake/screening_access.py
            # decides again on the screening page).
            "can_screen": entry.status in OPEN_WAITLIST_STATUSES
            and screening_access.may_screen(actor),
        }
    )
    return render(request, "web/intake/entry.html", context, status=status)


@waitlist_page
@require_safe
def waitlist_entry(request: HttpRequest, entry_id: int) -> HttpResponse:
    return _entry_page(request, entry_id)


def _to_entry(entry: WaitlistEntry, anchor: str) -> HttpResponse:
    return redirect(reverse("web:waitlist_entry", kwargs={"entry_id": entry.pk}) + f"#{anchor}")


@waitlist_page
@require_POST
def waitlist_status(request: HttpRequest, entry_id: int) -> HttpResponse:
    actor = actor_of(request)
    entry = get_entry_for(actor, entry_id, write=True)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            waitlist_services.waitlist_set_status(actor=actor, entry=entry, **form.cleaned_data)
        except NotPermitted:
            raise
        except ValidationFailed as exc:
            apply_error(form, exc)
        except KindredError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Status changed to “%(status)s”.") % {"status": entry.get_status_display()},
            )
            return _to_entry(entry, "status")
    return _entry_page(request, entry.pk, status_form=form)


@waitlist_page
@require_POST
def waitlist_contact(request: HttpRequest, entry_id: int) -> HttpResponse:
    actor = actor_of(request)
    entry = get_entry_for(actor, entry_id, write=True)
    with timezone.override(_practice_zone()):
        form = ContactForm(request.POST)
        valid = form.is_valid()
    if valid:
        try:
            waitlist_services.contact_attempt_add(actor=actor, entry=entry, **form.cleaned_data)
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Contact attempt logged."))
            return _to_entry(entry, "contacts")
    return _entry_page(request, entry.pk, contact_form=form)


@waitlist_page
@require_POST
def waitlist_exclusion_add(request: HttpRequest, entry_id: int) -> HttpResponse:
    actor = actor_of(request)
    entry = get_entry_for(actor, entry_id, write=True)
    find = (request.POST.get("find") or "")[:100]
    form = ExclusionForm(request.POST, people=_people(actor, entry, find))
    if form.is_valid():
        data = form.cleaned_data
        other = get_client_for(actor, data["other"])
        try:
            waitlist_services.exclusion_add(
                actor=actor, client=entry.client, other=other, reason=data["reason"],
                note=data["note"],
            )  # fmt: skip
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s and %(other)s will not be placed in the same group.")
                % {"name": entry.client.display_name, "other": other.display_name},
            )
            return _to_entry(entry, "exclusions")
    return _entry_page(request, entry.pk, exclusion_form=form, find=find)


@waitlist_page
@require_POST
def waitlist_exclusion_remove(
    request: HttpRequest, entry_id: int, exclusion_id: int
) -> HttpResponse:
    actor = actor_of(request)
    entry = get_entry_for(actor, entry_id, write=True)
    exclusion = get_exclusion_for(actor, entry, exclusion_id)
    waitlist_services.exclusion_remove(actor=actor, exclusion=exclusion)
    messages.success(request, _("Exclusion removed."))
    return _to_entry(entry, "exclusions")
