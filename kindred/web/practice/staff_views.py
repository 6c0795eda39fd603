"""Staff accounts: list, invite, edit, roles, deactivate and reactivate.

Every change to a staff account needs a recent re-authentication
(``kindred.accounts.reauth.sensitive``): creating an account can grant the admin role, an email
change redirects password resets, role changes and deactivation are sensitive by
SECURITY.md. Access is checked first, so a person without MANAGE_STAFF gets a 404 rather
than a pointless password prompt.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from kindred.accounts import services as account_services
from kindred.accounts.models import User
from kindred.accounts.reauth import sensitive
from kindred.core.errors import InvalidState
from kindred.practice import access, selectors
from kindred.practice.roles import Role
from kindred.web.paging import paginate
from kindred.web.practice.forms import (
    DeactivateForm,
    StaffCreateForm,
    StaffEditForm,
    StaffRolesForm,
)
from kindred.web.practice.views import View, actor_of, form_page, staff_page, submit


def staff_manager_page(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        access.require_staff_manager(actor_of(request))
        return view(request, *args, **kwargs)

    return staff_page(wrapper)


def _roles(values: list[str]) -> list[Role]:
    return [Role(v) for v in values]


@staff_manager_page
@require_safe
def staff_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    status = selectors.ActiveFilter.parse(request.GET.get("status"))
    page = paginate(request, selectors.staff_list(actor=actor, status=status))
    rows = [
        {"user": u, "roles": [r.label for r in selectors.roles_of(u)]}
        for u in page["page_obj"].object_list
    ]
    return render(
        request,
        "web/practice/staff_list.html",
        {**page, "rows": rows, "status": status, "section": "staff"},
    )


@staff_manager_page
@sensitive
def staff_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = StaffCreateForm(request.POST or None)
    user = submit(
        request,
        form,
        lambda data: account_services.staff_invite(
            actor=actor,
            email=data["email"],
            full_name=data["full_name"],
            roles=_roles(data["roles"]),
        ),
    )
    if user is not None:
        messages.success(
            request,
            _("Account made. %(email)s will get an email with a link to choose a password.")
            % {"email": user.email},
        )
        return redirect("web:staff_detail", user.pk)
    return form_page(
        request,
        form=form,
        title=_("Add a staff member"),
        intro=_(
            "They get an email with a link to choose a password, and set up two-step "
            "verification when they first sign in."
        ),
        back_url=reverse("web:staff_list"),
        back_label=_("Staff"),
        submit_label=_("Add and send the link"),
        section="staff",
    )


@staff_manager_page
@require_safe
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    user = access.get_staff_for(actor, pk)
    return render(
        request,
        "web/practice/staff_detail.html",
        {
            "person": user,
            "roles": [r.label for r in selectors.roles_of(user)],
            "clinician": selectors.clinician_of(user),
            "is_self": user.pk == actor.pk,
            "can_manage_clinicians": access.can_manage_clinicians(actor),
            "section": "staff",
        },
    )


@staff_manager_page
@sensitive
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    user = access.get_staff_for(actor, pk)
    name = user.full_name
    form = StaffEditForm(
        request.POST or None, initial={"full_name": user.full_name, "email": user.email}
    )
    if submit(
        request,
        form,
        lambda data: account_services.staff_update(actor=actor, user=user, **data),
    ):
        messages.success(request, _("Saved."))
        return redirect("web:staff_detail", user.pk)
    return form_page(
        request,
        form=form,
        title=_("Edit %(name)s") % {"name": name},
        back_url=reverse("web:staff_detail", args=[pk]),
        back_label=name,
        submit_label=_("Save"),
        section="staff",
    )


def _after_own_change(request: HttpRequest, user: User) -> HttpResponse:
    """Back to the person's page, unless the actor just changed their own roles away."""
    actor = actor_of(request)
    if user.pk == actor.pk:
        actor.forget_roles()
        if not access.can_manage_staff(actor):
            return redirect("web:home")
    return redirect("web:staff_detail", user.pk)


@staff_manager_page
@sensitive
def staff_roles(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    user = access.get_staff_for(actor, pk)
    form = StaffRolesForm(
        request.POST or None, initial={"roles": [r.value for r in selectors.roles_of(user)]}
    )
    if submit(
        request,
        form,
        lambda data: account_services.staff_set_roles(
            actor=actor, user=user, roles=_roles(data["roles"])
        ),
    ):
        messages.success(request, _("Roles saved."))
        return _after_own_change(request, user)
    return form_page(
        request,
        form=form,
        title=_("Roles of %(name)s") % {"name": user.full_name},
        intro=_("A role decides what someone can see and do. Every change is recorded."),
        back_url=reverse("web:staff_detail", args=[pk]),
        back_label=user.full_name,
        submit_label=_("Save roles"),
        section="staff",
    )


@staff_manager_page
@sensitive
def staff_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    user = access.get_staff_for(actor, pk)
    form = DeactivateForm(request.POST or None)
    if submit(
        request,
        form,
        lambda data: account_services.user_deactivate(
            actor=actor, user=user, reason=data["reason"]
        ),
    ):
        messages.success(
            request,
            _("%(name)s can no longer sign in; their sessions and API tokens have ended.")
            % {"name": user.full_name},
        )
        return redirect("web:staff_detail", user.pk)
    return form_page(
        request,
        form=form,
        title=_("Deactivate %(name)s") % {"name": user.full_name},
        intro=_(
            "They are signed out everywhere at once and their API tokens stop working. "
            "Their records stay. You can reactivate the account later."
        ),
        back_url=reverse("web:staff_detail", args=[pk]),
        back_label=user.full_name,
        submit_label=_("Deactivate"),
        danger=True,
        section="staff",
    )


@staff_manager_page
@require_POST
@sensitive
def staff_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    user = access.get_staff_for(actor, pk)
    account_services.user_reactivate(actor=actor, user=user)
    messages.success(request, _("%(name)s can sign in again.") % {"name": user.full_name})
    return redirect("web:staff_detail", user.pk)


@staff_manager_page
@require_POST
@sensitive
def staff_send_link(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    user = access.get_staff_for(actor, pk)
    try:
        account_services.staff_resend_welcome(actor=actor, user=user)
    except InvalidState as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("A link to choose a password is on its way to %(email)s.") % {"email": user.email},
        )
    return redirect("web:staff_detail", user.pk)
