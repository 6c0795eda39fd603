"""The "Your data" page's background PDF (kindred/datarights/selfexport.py): ask for it,
watch it being prepared (htmx polls a fragment that stops polling once the job is done;
without JavaScript, a link checks again), download it while it is kept.

PDFs always take this path on the page (one path, whatever the size: a small one is
ready within a poll or two); JSON stays a direct download (it is fast at any size).
Everything is the member's own: a job of anyone else answers 404, staff included.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from kindred.core.errors import Conflict
from kindred.datarights.export import own_client
from kindred.datarights.selfexport import (
    POLL_SECONDS,
    get_for,
    selfexport_download,
    selfexport_request,
    shown_status,
)
from kindred.web.pages import actor_of

ANCHOR = "#pdf-export"


def _page() -> str:
    return reverse("web:my_data") + ANCHOR


@login_required
@require_POST
def pdf_request(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    own_client(actor)  # 404 for anyone but a member
    _job, created = selfexport_request(actor=actor)
    if not created:
        messages.info(request, _("Your PDF is already being prepared."))
    return redirect(_page())


@login_required
@require_safe
def pdf_status(request: HttpRequest, export_id: int) -> HttpResponse:
    """What the page polls: the job's state as a fragment; 204 (htmx swaps nothing)
    while it is still the state the page shows, so screen readers hear each change
    once. Without htmx: the page itself."""
    job = get_for(actor_of(request), export_id)
    if not request.headers.get("HX-Request"):
        return redirect(_page())
    status = shown_status(job)
    if request.GET.get("seen") == status:
        response = HttpResponse(status=204)
    else:
        response = render(
            request,
            "web/datarights/_pdf_export.html",
            {"job": job, "status": status, "poll_seconds": POLL_SECONDS},
        )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_safe
def pdf_download(request: HttpRequest, export_id: int) -> HttpResponse:
    try:
        file = selfexport_download(actor=actor_of(request), export_id=export_id)
    except Conflict as exc:  # not ready yet, failed, or expired
        messages.error(request, exc.message)
        return redirect(_page())
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    response["Cache-Control"] = "no-store"
    return response
