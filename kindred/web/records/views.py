"""Export a member's record (records requests): the form, then the download.

For those with ``EXPORT_RECORDS`` (practice admins); others with a staff account get
403, anyone else 404. An export is a sensitive action, so it asks for a recent sign-in
and records why (the purpose) in the audit event with the range.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from kindred.accounts.reauth import sensitive
from kindred.clients.access import get_client_for
from kindred.clients.models import Client
from kindred.core.errors import ValidationFailed
from kindred.practice import roles
from kindred.practice.roles import Capability
from kindred.records.export import record_export
from kindred.web.forms import apply_error
from kindred.web.pages import actor_of, staff_page_for
from kindred.web.records.forms import RecordExportForm

staff_page = staff_page_for(Client, "client_id")


@staff_page
@sensitive
@require_safe
def export_record(request: HttpRequest, client_id: int) -> HttpResponse:
    actor = actor_of(request)
    roles.require(actor, Capability.EXPORT_RECORDS)
    client = get_client_for(actor, client_id)
    wanted = "start" in request.GET
    form = RecordExportForm(request.GET if wanted else None, initial=RecordExportForm.defaults())
    if wanted and form.is_valid():
        data = form.cleaned_data
        try:
            result = record_export(
                actor=actor,
                client=client,
                start=data["start"],
                end=data["end"],
                fmt=data["format"],
                purpose=data["purpose"],
            )
        except ValidationFailed as exc:
            apply_error(form, exc)
        else:
            response = HttpResponse(result.content, content_type=result.content_type)
            response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
            return response
    return render(
        request,
        "web/records/export.html",
        {"section": "clients", "client": client, "form": form},
        status=400 if wanted else 200,
    )
