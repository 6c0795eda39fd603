"""Clinician pages: profiles, licenses and compact privileges, with their standing
("expires in 20 days", "expired") in words, and a licensure check for a state and date.

VIEW_CLINICIANS reads (every staff role); MANAGE_CLINICIANS changes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from kindred.core.access import deny
from kindred.practice import access, licensure, selectors, services
from kindred.practice.models import ClinicianProfile, CompactPrivilege, License
from kindred.practice.settings import practice_today
from kindred.practice.states import state_name
from kindred.web.paging import paginate
from kindred.web.practice.forms import (
    ClinicianCreateForm,
    ClinicianForm,
    LicenseEndForm,
    LicenseForm,
    LicensureCheckForm,
    PrivilegeEndForm,
    PrivilegeForm,
)
from kindred.web.practice.views import (
    actor_of,
    form_page,
    initial_from,
    staff_page,
    submit,
)


def license_row(lic: License, today: date) -> dict[str, Any]:
    return {
        "license": lic,
        "state_name": state_name(lic.state),
        "standing": licensure.standing(
            status=lic.status, starts=lic.issued_on, ends=lic.expires_on, today=today
        ),
    }


def privilege_row(priv: CompactPrivilege, today: date) -> dict[str, Any]:
    return {
        "privilege": priv,
        "home_state_name": state_name(priv.home_state),
        "states": ", ".join(state_name(s) for s in priv.privilege_states),
        "standing": licensure.standing(
            status=priv.status, starts=priv.valid_from, ends=priv.valid_until, today=today
        ),
    }


# --- Lists and profiles ---------------------------------------------------------------


@staff_page
@require_safe
def clinician_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    status = selectors.ActiveFilter.parse(request.GET.get("status"))
    page = paginate(request, selectors.clinician_list(actor=actor, status=status))
    today = practice_today()
    rows = [
        {
            "clinician": c,
            "licenses": [license_row(x, today) for x in c.licenses.all()],
            "privileges": [privilege_row(p, today) for p in c.privileges.all()],
        }
        for c in page["page_obj"].object_list
    ]
    return render(
        request,
        "web/practice/clinician_list.html",
        {
            **page,
            "rows": rows,
            "status": status,
            "can_edit": access.can_manage_clinicians(actor),
            "section": "clinicians",
        },
    )


def _clinician_page(
    request: HttpRequest, clinician: ClinicianProfile, *, is_self: bool
) -> HttpResponse:
    actor = actor_of(request)
    today = practice_today()
    check_form = LicensureCheckForm(request.GET if "state" in request.GET else None)
    decision = None
    if check_form.is_bound and check_form.is_valid():
        decision = selectors.clinician_may_practice(
            clinician.pk, check_form.cleaned_data["state"], check_form.cleaned_data["on"]
        )
    licenses = selectors.license_list(actor=actor, clinician=clinician)
    privileges = selectors.privilege_list(actor=actor, clinician=clinician)
    return render(
        request,
        "web/practice/clinician_detail.html",
        {
            "clinician": clinician,
            "licenses": [license_row(x, today) for x in licenses],
            "privileges": [privilege_row(p, today) for p in privileges],
            "check_form": check_form,
            "decision": decision,
            "is_self": is_self,
            "can_edit": access.can_manage_clinicians(actor),
            "section": "clinicians",
        },
    )


@staff_page
@require_safe
def clinician_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    clinician = access.get_clinician_for(actor, pk)
    return _clinician_page(request, clinician, is_self=clinician.user_id == actor.pk)


@staff_page
@require_safe
def clinician_self(request: HttpRequest) -> HttpResponse:
    """A clinician's own profile and licenses (read-only without MANAGE_CLINICIANS)."""
    actor = actor_of(request)
    if not actor.is_staff_member:
        deny(actor, ClinicianProfile, "me")
    clinician = selectors.clinician_of(actor)
    if clinician is None:
        return render(request, "web/practice/clinician_self_empty.html", {"section": "clinicians"})
    return _clinician_page(request, clinician, is_self=True)


@staff_page
def clinician_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    access.require_clinicians_view(actor, write=True)
    form = ClinicianCreateForm(
        request.POST or None,
        initial={"user": request.GET.get("user")},
        candidates=selectors.staff_without_clinician_profile(actor=actor),
        supervisors=selectors.supervisor_choices(actor=actor),
    )
    clinician = submit(request, form, lambda data: services.clinician_create(actor=actor, **data))
    if clinician is not None:
        messages.success(request, _("Clinician profile made. Now add their licenses."))
        return redirect("web:clinician_detail", clinician.pk)
    return form_page(
        request,
        form=form,
        title=_("Add a clinician"),
        intro=_("Make a staff member a clinician: their NPI, credentials and supervisor."),
        back_url=reverse("web:clinician_list"),
        back_label=_("Clinicians"),
        submit_label=_("Make clinician"),
        section="clinicians",
    )


@staff_page
def clinician_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    clinician = access.get_clinician_for(actor, pk, write=True)
    name = clinician.user.full_name
    form = ClinicianForm(
        request.POST or None,
        initial=initial_from(clinician, ClinicianForm),
        supervisors=selectors.supervisor_choices(actor=actor, exclude=clinician),
    )
    if submit(
        request,
        form,
        lambda data: services.clinician_update(actor=actor, clinician=clinician, **data),
    ):
        messages.success(request, _("Clinician profile saved."))
        return redirect("web:clinician_detail", clinician.pk)
    return form_page(
        request,
        form=form,
        title=_("Edit %(name)s") % {"name": name},
        back_url=reverse("web:clinician_detail", args=[pk]),
        back_label=name,
        submit_label=_("Save"),
        section="clinicians",
    )


# --- Licenses -------------------------------------------------------------------------


def _license_form_page(
    request: HttpRequest, form: LicenseForm, *, title: str, clinician: ClinicianProfile, label: str
) -> HttpResponse:
    return form_page(
        request,
        form=form,
        title=title,
        back_url=reverse("web:clinician_detail", args=[clinician.pk]),
        back_label=clinician.user.full_name,
        submit_label=label,
        section="clinicians",
    )


@staff_page
def license_create(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    clinician = access.get_clinician_for(actor, pk, write=True)
    form = LicenseForm(request.POST or None)
    if submit(
        request,
        form,
        lambda data: services.license_create(actor=actor, clinician=clinician, **data),
    ):
        messages.success(request, _("License added."))
        return redirect("web:clinician_detail", clinician.pk)
    return _license_form_page(
        request,
        form,
        title=_("Add a license for %(name)s") % {"name": clinician.user.full_name},
        clinician=clinician,
        label=_("Add license"),
    )


@staff_page
def license_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    lic = access.get_license_for(actor, pk, write=True)
    form = LicenseForm(request.POST or None, initial=initial_from(lic, LicenseForm))
    if submit(
        request,
        form,
        lambda data: services.license_update(actor=actor, license=lic, **data),
    ):
        messages.success(request, _("License saved."))
        return redirect("web:clinician_detail", lic.clinician_id)
    return _license_form_page(
        request,
        form,
        title=_("Edit license of %(name)s") % {"name": lic.clinician.user.full_name},
        clinician=lic.clinician,
        label=_("Save license"),
    )


@staff_page
def license_end(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    lic = access.get_license_for(actor, pk, write=True)
    form = LicenseEndForm(request.POST or None)
    if submit(request, form, lambda data: services.license_end(actor=actor, license=lic, **data)):
        messages.success(request, _("The license no longer counts for sessions."))
        return redirect("web:clinician_detail", lic.clinician_id)
    return form_page(
        request,
        form=form,
        title=_("End the %(type)s license %(number)s (%(state)s)")
        % {"type": lic.license_type, "number": lic.number, "state": state_name(lic.state)},
        back_url=reverse("web:clinician_detail", args=[lic.clinician_id]),
        back_label=lic.clinician.user.full_name,
        submit_label=_("End license"),
        danger=True,
        section="clinicians",
    )


# --- Compact privileges ---------------------------------------------------------------


def _privilege_form(request: HttpRequest, initial: dict[str, Any] | None = None) -> PrivilegeForm:
    actor = actor_of(request)
    return PrivilegeForm(
        request.POST or None,
        initial=initial,
        compacts=selectors.compact_list(actor=actor),
    )


@staff_page
def privilege_create(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    clinician = access.get_clinician_for(actor, pk, write=True)
    form = _privilege_form(request)
    if submit(
        request,
        form,
        lambda data: services.privilege_create(actor=actor, clinician=clinician, **data),
    ):
        messages.success(request, _("Compact privilege added."))
        return redirect("web:clinician_detail", clinician.pk)
    return form_page(
        request,
        form=form,
        title=_("Add a compact privilege for %(name)s") % {"name": clinician.user.full_name},
        intro=_(
            "The home state must be a member of the compact and the clinician must hold an "
            "active license there. Add the home-state license first."
        ),
        back_url=reverse("web:clinician_detail", args=[clinician.pk]),
        back_label=clinician.user.full_name,
        submit_label=_("Add privilege"),
        section="clinicians",
    )


@staff_page
def privilege_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    priv = access.get_privilege_for(actor, pk, write=True)
    form = _privilege_form(request, initial_from(priv, PrivilegeForm))
    if submit(
        request,
        form,
        lambda data: services.privilege_update(actor=actor, privilege=priv, **data),
    ):
        messages.success(request, _("Compact privilege saved."))
        return redirect("web:clinician_detail", priv.clinician_id)
    return form_page(
        request,
        form=form,
        title=_("Edit the %(compact)s privilege of %(name)s")
        % {"compact": priv.compact.name, "name": priv.clinician.user.full_name},
        back_url=reverse("web:clinician_detail", args=[priv.clinician_id]),
        back_label=priv.clinician.user.full_name,
        submit_label=_("Save privilege"),
        section="clinicians",
    )


@staff_page
def privilege_end(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    priv = access.get_privilege_for(actor, pk, write=True)
    form = PrivilegeEndForm(
        request.POST or None, initial={"valid_until": priv.valid_until or practice_today()}
    )
    if submit(
        request,
        form,
        lambda data: services.privilege_end(actor=actor, privilege=priv, **data),
    ):
        messages.success(request, _("End date saved."))
        return redirect("web:clinician_detail", priv.clinician_id)
    return form_page(
        request,
        form=form,
        title=_("End the %(compact)s privilege of %(name)s")
        % {"compact": priv.compact.name, "name": priv.clinician.user.full_name},
        back_url=reverse("web:clinician_detail", args=[priv.clinician_id]),
        back_label=priv.clinician.user.full_name,
        submit_label=_("Save end date"),
        danger=True,
        section="clinicians",
    )
