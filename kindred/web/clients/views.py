"""Client records (coordinator pages), the concern list (admin), and the public pages
where an invited client sets up their portal account.

Each view: authorize (clients/access.py, clients/selectors.py) → validate the shape
(forms.py) → call one service → render. Rules live in the services.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth import login
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kindred.clients import access, selectors
from kindred.clients import invitation_services as invitations
from kindred.clients import services as client_services
from kindred.clients.models import Client as ClientModel
from kindred.clients.models import ClientStatus
from kindred.core.errors import KindredError, NotPermitted, ValidationFailed
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability
from kindred.web.clients.forms import (
    AvailabilityForm,
    ClientCreateForm,
    ClientFilterForm,
    ClientForm,
    ConcernForm,
    ReasonForm,
    SetPasswordForm,
)
from kindred.web.forms import apply_error
from kindred.web.pages import actor_of, staff_page_for
from kindred.web.paging import paginate

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client

staff_page = staff_page_for(ClientModel, "client_id")

# The session key that carries an invitation (its hash, never the token) from the
# emailed link to the set-password page, so the token leaves the address bar.
INVITATION_SESSION_KEY = "kindred_invitation"
MEMBER_BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


def _to_detail(client: Client, anchor: str) -> HttpResponse:
    return redirect(reverse("web:client_detail", kwargs={"client_id": client.pk}) + f"#{anchor}")


# --- Concern tags (admin) -----------------------------------------------------------------


@staff_page
@require_http_methods(["GET", "POST"])
def concern_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    role_checks.require(actor, Capability.MANAGE_PRACTICE)
    form = ConcernForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            concern = client_services.concern_create(actor=actor, **form.cleaned_data)
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("“%(name)s” added.") % {"name": concern.name})
            return redirect("web:concern_list")
    concerns = selectors.concern_list(actor=actor).annotate(client_count=Count("clients"))
    return render(
        request,
        "web/clients/concern_list.html",
        {"section": "practice", "form": form, "concerns": concerns},
    )


@staff_page
@require_http_methods(["GET", "POST"])
def concern_update(request: HttpRequest, concern_id: int) -> HttpResponse:
    actor = actor_of(request)
    concern = access.get_concern_for(actor, concern_id, write=True)
    initial = {"name": concern.name, "description": concern.description}
    form = ConcernForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            client_services.concern_update(actor=actor, concern=concern, **form.cleaned_data)
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Concern saved."))
            return redirect("web:concern_list")
    return render(
        request,
        "web/clients/concern_form.html",
        {"section": "practice", "form": form, "concern": concern},
    )


def _set_offered(request: HttpRequest, concern_id: int, *, offered: bool) -> HttpResponse:
    actor = actor_of(request)
    concern = access.get_concern_for(actor, concern_id, write=True)
    client_services.concern_set_offered(actor=actor, concern=concern, offered=offered)
    if offered:
        messages.success(request, _("“%(name)s” is offered again.") % {"name": concern.name})
    else:
        messages.success(
            request,
            _("“%(name)s” is retired: records that have it keep it; it is no longer offered.")
            % {"name": concern.name},
        )
    return redirect("web:concern_list")


@staff_page
@require_POST
def concern_retire(request: HttpRequest, concern_id: int) -> HttpResponse:
    return _set_offered(request, concern_id, offered=False)


@staff_page
@require_POST
def concern_restore(request: HttpRequest, concern_id: int) -> HttpResponse:
    return _set_offered(request, concern_id, offered=True)


# --- Client list, create, edit ------------------------------------------------------------


@staff_page
@require_safe
def client_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    concerns = selectors.concern_list(actor=actor)
    form = ClientFilterForm(request.GET or None, concerns=concerns)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    concern = data.get("concern")
    filters = selectors.ClientFilters(
        search=data.get("search") or "",
        status=data.get("status") or ClientStatus.ACTIVE,
        state=data.get("state") or "",
        concern=concern.pk if concern is not None else None,
        modality=data.get("modality") or "",
    )
    clients = selectors.client_list(actor=actor, filters=filters)
    context = paginate(request, clients)
    filtered = (
        any([filters.search, filters.state, filters.concern, filters.modality])
        or filters.status != ClientStatus.ACTIVE
    )
    context.update(
        {
            "section": "clients",
            "form": form,
            "filtered": filtered,
            "sees_all": role_checks.has(actor, Capability.VIEW_ALL_CLIENTS),
            "can_create": role_checks.has(actor, Capability.MANAGE_CLIENTS),
        }
    )
    return render(request, "web/clients/client_list.html", context)


@staff_page
@require_http_methods(["GET", "POST"])
def client_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    role_checks.require(actor, Capability.MANAGE_CLIENTS)
    form = ClientCreateForm(request.POST or None, concerns=selectors.concern_choices(actor=actor))
    duplicates: list[Client] = []
    if request.method == "POST" and form.is_valid():
        try:
            client = client_services.client_create(
                actor=actor,
                confirm_duplicate=form.cleaned_data["confirm_duplicate"],
                **form.service_kwargs(),
            )
        except client_services.PossibleDuplicate as exc:
            duplicates = selectors.clients_by_ids(actor=actor, ids=exc.candidate_ids)
            form.add_error(None, exc.message)
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Record created for %(name)s.") % {"name": client})
            return redirect("web:client_detail", client_id=client.pk)
    return render(
        request,
        "web/clients/client_form.html",
        {"section": "clients", "form": form, "duplicates": duplicates, "client": None},
    )


@staff_page
@require_http_methods(["GET", "POST"])
def client_update(request: HttpRequest, client_id: int) -> HttpResponse:
    actor = actor_of(request)
    if request.method == "POST":
        client = access.get_client_for(actor, client_id, write=True)
    else:
        client = selectors.client_get(actor=actor, client_id=client_id, write=True)
    if client.status != ClientStatus.ACTIVE:
        messages.info(request, _("This record is archived. Restore it before changing it."))
        return redirect("web:client_detail", client_id=client.pk)
    concerns = selectors.concern_choices(actor=actor, client=client)
    initial = {field: getattr(client, field) for field in client_services.EDITABLE_FIELDS}
    initial["concerns"] = [c.pk for c in client.concerns.all()]
    initial["locations"] = [loc.pk for loc in client.locations.all()]
    form = ClientForm(
        request.POST or None,
        initial=initial,
        concerns=concerns,
        locations=selectors.location_choices(client=client),
    )
    if request.method == "POST" and form.is_valid():
        try:
            client_services.client_update(actor=actor, client=client, **form.service_kwargs())
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Record saved."))
            return redirect("web:client_detail", client_id=client.pk)
    return render(
        request,
        "web/clients/client_form.html",
        {"section": "clients", "form": form, "duplicates": [], "client": client},
    )


# --- Client detail and its parts ----------------------------------------------------------


def _detail_context(actor: User, client_id: int) -> dict[str, Any]:
    context = selectors.client_detail(actor=actor, client_id=client_id)
    context.update(
        {
            "section": "clients",
            "now": timezone.now(),
            "can_manage": role_checks.has(actor, Capability.MANAGE_CLIENTS),
            "can_invite": role_checks.has(actor, Capability.INVITE_CLIENTS),
            "can_view_activity": role_checks.has(actor, Capability.VIEW_AUDIT),
        }
    )
    return context


@staff_page
@require_safe
def client_detail(request: HttpRequest, client_id: int) -> HttpResponse:
    context = _detail_context(actor_of(request), client_id)
    context["availability_form"] = AvailabilityForm()
    return render(request, "web/clients/client_detail.html", context)


@staff_page
@require_POST
def availability_add(request: HttpRequest, client_id: int) -> HttpResponse:
    actor = actor_of(request)
    client = access.get_client_for(actor, client_id, write=True)
    form = AvailabilityForm(request.POST)
    if form.is_valid():
        try:
            client_services.availability_add(actor=actor, client=client, **form.cleaned_data)
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Availability saved."))
            return _to_detail(client, "availability")
    context = _detail_context(actor, client.pk)
    context["availability_form"] = form
    return render(request, "web/clients/client_detail.html", context)


@staff_page
@require_POST
def availability_remove(request: HttpRequest, client_id: int, window_id: int) -> HttpResponse:
    actor = actor_of(request)
    client = access.get_client_for(actor, client_id, write=True)
    window = access.get_window_for(actor, client, window_id)
    _run(request, lambda: client_services.availability_remove(actor=actor, window=window))
    return _to_detail(client, "availability")


def _run(request: HttpRequest, action: Callable[[], object], success: str = "") -> bool:
    """Call a service from a button (no form to show errors beside): errors become a
    message at the top of the page the button returns to."""
    try:
        action()
    except NotPermitted:
        raise
    except KindredError as exc:
        messages.error(request, exc.message)
        return False
    if success:
        messages.success(request, success)
    return True


def _status_change(request: HttpRequest, client_id: int, *, archive: bool) -> HttpResponse:
    actor = actor_of(request)
    if request.method == "POST":
        client = access.get_client_for(actor, client_id, write=True)
    else:
        client = selectors.client_get(actor=actor, client_id=client_id, write=True)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        service = client_services.client_archive if archive else client_services.client_restore
        try:
            service(actor=actor, client=client, reason=form.cleaned_data["reason"])
        except ValidationFailed as exc:
            apply_error(form, exc)
        except KindredError as exc:
            messages.error(request, exc.message)
            return redirect("web:client_detail", client_id=client.pk)
        else:
            messages.success(request, _("Record archived.") if archive else _("Record restored."))
            return redirect("web:client_detail", client_id=client.pk)
    return render(
        request,
        "web/clients/client_status.html",
        {"section": "clients", "form": form, "client": client, "archive": archive},
    )


@staff_page
@require_http_methods(["GET", "POST"])
def client_archive(request: HttpRequest, client_id: int) -> HttpResponse:
    return _status_change(request, client_id, archive=True)


@staff_page
@require_http_methods(["GET", "POST"])
def client_restore(request: HttpRequest, client_id: int) -> HttpResponse:
    return _status_change(request, client_id, archive=False)


# --- Portal invitations (staff side) ------------------------------------------------------


@staff_page
@require_POST
def invitation_create(request: HttpRequest, client_id: int) -> HttpResponse:
    actor = actor_of(request)
    client = access.get_client_for(actor, client_id)
    _run(
        request,
        lambda: invitations.invitation_create(actor=actor, client=client),
        _("Invitation sent to %(email)s.") % {"email": client.email},
    )
    return _to_detail(client, "portal")


@staff_page
@require_POST
def invitation_resend(request: HttpRequest, client_id: int, invitation_id: int) -> HttpResponse:
    actor = actor_of(request)
    client = access.get_client_for(actor, client_id)
    invitation = access.get_invitation_for(actor, client, invitation_id, write=True)
    _run(
        request,
        lambda: invitations.invitation_resend(actor=actor, invitation=invitation),
        _("A new link was sent; the previous link no longer works."),
    )
    return _to_detail(client, "portal")


@staff_page
@require_POST
def invitation_revoke(request: HttpRequest, client_id: int, invitation_id: int) -> HttpResponse:
    actor = actor_of(request)
    client = access.get_client_for(actor, client_id)
    invitation = access.get_invitation_for(actor, client, invitation_id, write=True)
    _run(
        request,
        lambda: invitations.invitation_revoke(actor=actor, invitation=invitation),
        _("Invitation revoked; its link no longer works."),
    )
    return _to_detail(client, "portal")


# --- Accepting an invitation (public) -----------------------------------------------------


def _link_dead(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/clients/welcome_dead.html",
        {"contact": selectors.practice_contact()},
        status=404,
    )


@require_safe
def invitation_open(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: check it, keep its hash in the session, and move on to a URL
    without the token (so it is not left in the address bar, history or referrers)."""
    invitation = invitations.invitation_for_link(token)
    if invitation is None:
        return _link_dead(request)
    request.session[INVITATION_SESSION_KEY] = invitation.token_hash
    return redirect("web:invitation_accept")


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest) -> HttpResponse:
    token_hash = request.session.get(INVITATION_SESSION_KEY) or ""
    invitation = invitations.open_invitation(token_hash) if token_hash else None
    if invitation is None:
        return _link_dead(request)
    context: dict[str, Any] = {"email": invitation.email}
    if request.user.is_authenticated:
        return render(request, "web/clients/welcome_signed_in.html", context)
    if selectors.account_exists(email=invitation.email):
        context["contact"] = selectors.practice_contact()
        return render(request, "web/clients/welcome_account_exists.html", context, status=409)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitations.invitation_accept(
                token_hash=token_hash, password=form.cleaned_data["password1"]
            )
        except ValidationFailed as exc:
            errors = {("password1" if k == "password" else k): v for k, v in exc.errors.items()}
            apply_error(form, ValidationFailed(errors=errors))
        except KindredError as exc:
            if exc.code == "link_dead":
                return _link_dead(request)
            form.add_error(None, exc.message)
        else:
            request.session.pop(INVITATION_SESSION_KEY, None)
            login(request, user, backend=MEMBER_BACKEND)
            messages.success(request, _("Welcome. Your account is ready."))
            return redirect("web:member_home")
    context["form"] = form
    return render(request, "web/clients/welcome_password.html", context)
