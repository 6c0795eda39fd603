"""Private process notes (psychotherapy notes): the author's own area.

Only clinicians have it; for anyone else every address here is a 404, and an address
naming a note records a denied event in the notes' own audit category. A clinician
asking for a colleague's note gets the same 404 (``selectors.get_note_for``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from kindred.accounts.reauth import sensitive
from kindred.clients.access import get_client_for
from kindred.core.errors import KindredError, NotPermitted
from kindred.psychnotes import audit, selectors, services
from kindred.psychnotes.models import PsychotherapyNote
from kindred.scheduling.access import get_session_for
from kindred.scheduling.attendance import seated_clients
from kindred.web.forms import apply_error
from kindred.web.pages import actor_of
from kindred.web.psychnotes.forms import ExportForm, PsychnoteForm

View = Callable[..., HttpResponse]
SECTION = "psychnotes"


def clinician_page(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        actor = actor_of(request)
        if not selectors.may_keep_notes(actor):
            if "note_id" in kwargs:
                audit.denied(actor, kwargs["note_id"])
            raise Http404
        try:
            return view(request, *args, **kwargs)
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc

    return wrapper


@clinician_page
@require_safe
def own_list(request: HttpRequest) -> HttpResponse:
    notes = selectors.notes_list(actor=actor_of(request))
    return render(
        request,
        "web/psychnotes/list.html",
        {"section": SECTION, "notes": notes, "client": None, "export_form": ExportForm()},
    )


@clinician_page
@require_safe
def client_list(request: HttpRequest, client_id: int) -> HttpResponse:
    actor = actor_of(request)
    client = get_client_for(actor, client_id)
    notes = selectors.notes_list(actor=actor, client=client)
    return render(
        request,
        "web/psychnotes/list.html",
        {"section": SECTION, "notes": notes, "client": client, "export_form": ExportForm()},
    )


@clinician_page
@require_safe
def session_page(request: HttpRequest, session_id: int) -> HttpResponse:
    """From a session: the members who had a place, each with a link to write a process
    note about them linked to this session, and the actor's notes already linked to it."""
    actor = actor_of(request)
    session = get_session_for(actor, session_id)
    members = seated_clients(session)
    notes = selectors.notes_list(actor=actor, session=session)
    return render(
        request,
        "web/psychnotes/session.html",
        {"section": SECTION, "session": session, "members": members, "notes": notes},
    )


@clinician_page
@require_http_methods(["GET", "HEAD", "POST"])
def create(request: HttpRequest, client_id: int) -> HttpResponse:
    actor = actor_of(request)
    client = get_client_for(actor, client_id)
    sessions = selectors.session_choices(actor=actor, client=client)
    initial = {"session": request.GET.get("session")} if request.GET.get("session") else {}
    form = PsychnoteForm(request.POST or None, initial=initial, sessions=sessions)
    if request.method == "POST" and form.is_valid():
        try:
            note = services.psychnote_create(actor=actor, client=client, **form.cleaned_data)
        except KindredError as exc:
            if isinstance(exc, NotPermitted):
                raise
            apply_error(form, exc)
        else:
            messages.success(request, _("Process note saved. Only you can see it."))
            return redirect("web:psychnote_detail", note.pk)
    return render(
        request,
        "web/psychnotes/form.html",
        {"section": SECTION, "form": form, "client": client, "note": None},
    )


@clinician_page
@require_safe
def detail(request: HttpRequest, note_id: int) -> HttpResponse:
    note = selectors.get_note_for(actor_of(request), note_id)
    return render(
        request,
        "web/psychnotes/detail.html",
        {"section": SECTION, "note": note, "client": note.client},
    )


@clinician_page
@require_http_methods(["GET", "HEAD", "POST"])
def edit(request: HttpRequest, note_id: int) -> HttpResponse:
    actor = actor_of(request)
    note = selectors.get_note_for(actor, note_id, audited=request.method != "POST")
    sessions = selectors.session_choices(actor=actor, client=note.client)
    initial = {"title": note.title, "body": note.body, "session": note.session_id}
    form = PsychnoteForm(request.POST or None, initial=initial, sessions=sessions)
    if request.method == "POST" and form.is_valid():
        try:
            services.psychnote_update(actor=actor, note=note, **form.cleaned_data)
        except KindredError as exc:
            if isinstance(exc, NotPermitted):
                raise
            apply_error(form, exc)
        else:
            messages.success(request, _("Process note saved."))
            return redirect("web:psychnote_detail", note.pk)
    return render(
        request,
        "web/psychnotes/form.html",
        {"section": SECTION, "form": form, "client": note.client, "note": note},
    )


@clinician_page
@require_http_methods(["GET", "HEAD", "POST"])
def delete(request: HttpRequest, note_id: int) -> HttpResponse:
    actor = actor_of(request)
    note: PsychotherapyNote = selectors.get_note_for(actor, note_id, audited=False)
    if request.method == "POST":
        client_id = note.client_id
        services.psychnote_delete(actor=actor, note=note)
        messages.success(request, _("Process note deleted. Its text is gone."))
        return redirect("web:psychnote_client_list", client_id)
    return render(
        request,
        "web/psychnotes/confirm_delete.html",
        {"section": SECTION, "note": note, "client": note.client},
    )


@clinician_page
@sensitive
@require_safe
def export(request: HttpRequest) -> HttpResponse:
    """The author's own notes as a download (all, or one client's with ``client``)."""
    actor = actor_of(request)
    form = ExportForm(request.GET)
    fmt = form.cleaned_data["format"] if form.is_valid() else "pdf"
    client = None
    if request.GET.get("client"):
        client = get_client_for(actor, request.GET["client"])
    result = services.psychnote_export(actor=actor, fmt=fmt, client=client)
    response = HttpResponse(result.content, content_type=result.content_type)
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    return response
