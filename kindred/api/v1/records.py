"""API v1: a member's record for a date range (records requests).

``GET /api/v1/clients/{id}/record/?from=&to=&purpose=`` answers the record as JSON;
``GET /api/v1/clients/{id}/record.pdf?…`` as a PDF. Tokens need ``records:export``
(offered to those with ``EXPORT_RECORDS``: practice admins); a browser session needs a
sign-in or re-authentication in the last 10 minutes. Staff without the capability get
403, anyone else 404. Every export is audited (export category) with range and purpose.
Psychotherapy notes are never part of it.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kindred.accounts.models import ApiToken
from kindred.accounts.scopes import Scope
from kindred.api.actors import require_staff
from kindred.api.v1.psychnotes import _recently_authenticated
from kindred.clients.access import get_client_for
from kindred.core.errors import NotPermitted, ValidationFailed
from kindred.practice import roles
from kindred.practice.roles import Capability
from kindred.records.export import PURPOSES, Export, record_export

RECORD_SCOPES: dict[str, str] = {"read": Scope.RECORDS_EXPORT}
REAUTH_MESSAGE = (
    "Exporting a record needs a recent sign-in. Confirm your password on the account page "
    "(or sign in again), then retry within 10 minutes."
)
PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, required=True, description="First day"),
    OpenApiParameter("to", OpenApiTypes.DATE, required=True, description="Last day (inclusive)"),
    OpenApiParameter(
        "purpose",
        str,
        required=True,
        enum=[key for key, _label in PURPOSES],
        description="Why the record is exported (kept in the audit log)",
    ),
]


def _date(request: Request, name: str, errors: dict[str, list[str]]) -> date | None:
    raw = request.query_params.get(name, "")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = ["Give a date as YYYY-MM-DD."]
        return None


def _export(request: Request, client_id: int, fmt: str) -> Export:
    actor = require_staff(request)
    if not isinstance(request.auth, ApiToken) and not _recently_authenticated(request._request):
        raise NotPermitted(REAUTH_MESSAGE)
    if not roles.has(actor, Capability.EXPORT_RECORDS):
        raise NotPermitted("Exporting records is for practice admins.")
    client = get_client_for(actor, client_id)
    errors: dict[str, list[str]] = {}
    start = _date(request, "from", errors)
    end = _date(request, "to", errors)
    if errors:
        raise ValidationFailed(errors=errors)
    try:
        return record_export(
            actor=actor,
            client=client,
            start=start,
            end=end,
            fmt=fmt,
            purpose=request.query_params.get("purpose", ""),
        )
    except ValidationFailed as exc:
        # The service names the range fields start/end; the API calls them from/to.
        renamed = {{"start": "from", "end": "to"}.get(k, k): v for k, v in exc.errors.items()}
        raise ValidationFailed(errors=renamed) from exc


class MemberRecordView(APIView):
    required_scopes: ClassVar[dict[str, str]] = RECORD_SCOPES

    @extend_schema(
        operation_id="client_record",
        summary="A member's record for a date range as JSON (audited; never psychotherapy notes)",
        parameters=PARAMETERS,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, client_id: int) -> Response:
        result = _export(request, client_id, "json")
        data: Any = result.data
        return Response(data)


class MemberRecordPdfView(APIView):
    required_scopes: ClassVar[dict[str, str]] = RECORD_SCOPES

    @extend_schema(
        operation_id="client_record_pdf",
        summary="A member's record for a date range as a PDF (audited)",
        parameters=PARAMETERS,
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, client_id: int) -> HttpResponse:
        result = _export(request, client_id, "pdf")
        response = HttpResponse(result.content, content_type=result.content_type)
        response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
        return response
