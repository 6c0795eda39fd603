"""API v1: the one psychotherapy-notes endpoint — the author's export of their own notes.

Psychotherapy notes are otherwise excluded from the API (issue 7; SECURITY.md). This
endpoint takes a signed-in browser session only (API tokens are refused: the view
declares no scope), from a clinician who signed in or re-authenticated in the last 10
minutes, and returns only the caller's own notes. Audited in the notes' own category.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kindred.accounts.adapter import signed_in_recently
from kindred.accounts.models import ApiToken
from kindred.api.actors import actor_of
from kindred.clients.access import get_client_for
from kindred.core.errors import NotFound, NotPermitted, ValidationFailed
from kindred.psychnotes import selectors, services

REAUTH_MESSAGE = (
    "Exporting psychotherapy notes needs a recent sign-in. Confirm your password on the "
    "account page (or sign in again), then retry within 10 minutes."
)


def _recently_authenticated(request: HttpRequest) -> bool:
    from allauth.account.internal.flows.reauthentication import did_recently_reauthenticate

    return signed_in_recently(request) or bool(did_recently_reauthenticate(request))


class PsychnotesExportView(APIView):
    # No required_scopes: tokens are refused (deny by default); a browser session only.

    @extend_schema(
        operation_id="psychotherapy_notes_export",
        summary="Your own psychotherapy notes (author only; browser session, recent sign-in)",
        parameters=[
            OpenApiParameter("output", str, enum=["json", "pdf"], description="json (default)"),
            OpenApiParameter("client", int, required=False, description="Only this client's"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response | HttpResponse:
        actor = actor_of(request)
        if isinstance(request.auth, ApiToken) or not getattr(actor, "is_staff_member", False):
            raise NotFound("Not found.")
        if not selectors.may_keep_notes(actor):
            raise NotFound("Not found.")
        if not _recently_authenticated(request._request):
            raise NotPermitted(REAUTH_MESSAGE)
        # Not "format": DRF reads that one to choose a renderer.
        fmt = request.query_params.get("output", "json")
        if fmt not in services.EXPORT_FORMATS:
            raise ValidationFailed("Choose json or pdf.", field="output")
        client = None
        if request.query_params.get("client"):
            client = get_client_for(actor, request.query_params["client"])
        result = services.psychnote_export(actor=actor, fmt=fmt, client=client)
        if fmt == "json":
            import json

            data: Any = json.loads(result.content)
            response: Response | HttpResponse = Response(data)
        else:
            response = HttpResponse(result.content, content_type=result.content_type)
        response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
        return response
