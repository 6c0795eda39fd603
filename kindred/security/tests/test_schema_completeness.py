"""The schema-completeness gate (SECURITY.md: a fuzzer cannot send a parameter it does not
know): every URL pattern and method under /api/v1/ and /fhir/r4/ is in the generated
OpenAPI schema, and every query parameter a view reads is declared for its operation.

The broken variants are served from this module as a URL configuration: a view left out
of the schema and a view reading a parameter it does not declare; the same checkers must
report both.
"""

from __future__ import annotations

from typing import Any

from django.test import Client as HttpClient
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kindred.accounts.scopes import Scope
from kindred.core.testing import Cast
from kindred.security.fuzz import openapi, recorder, roles
from kindred.security.fuzz.completeness import (
    missing_endpoints,
    undeclared_reads,
    walk_reads,
)
from kindred.security.fuzz.inprocess import preload_pdf_library
from kindred.security.fuzz.roles import Credential


def _sender(http_for: dict[str, HttpClient]) -> Any:
    def send(url: str, credential: Credential) -> int:
        status: int = http_for[credential.role].get(url).status_code
        return status

    return send


def _clients(creds: list[Credential]) -> dict[str, HttpClient]:
    clients: dict[str, HttpClient] = {}
    for credential in creds:
        http = HttpClient(headers=credential.headers, raise_request_exception=False)
        for name, value in credential.cookies.items():
            http.cookies[name] = value
        clients[credential.role] = http
    return clients


def test_every_api_url_pattern_and_method_is_in_the_schema(db):
    schema = openapi.generate_schema()
    endpoints = openapi.served_endpoints()
    assert len(endpoints) > 150  # the walk found the API (and FHIR) patterns
    assert any(e.template.startswith("/fhir/r4/") for e in endpoints)
    assert missing_endpoints(schema, endpoints) == []


def test_every_query_parameter_the_views_read_is_declared(cast: Cast, settings):
    preload_pdf_library()
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, recorder.MIDDLEWARE_PATH]
    recorder.clear()
    schema = openapi.generate_schema()
    ops = openapi.operations(schema, openapi.served_endpoints())
    creds = roles.credentials(cast, ("admin", "facilitator", "billing", "member"))
    sent = walk_reads(ops, creds, roles.known_ids(cast), _sender(_clients(creds)))
    assert sent > 400
    reads = recorder.recorded()
    # The recorder saw the views' reads (filter serializers, pagination, helpers) ...
    assert {"search", "status", "page", "page_size"} <= reads[("/api/v1/clients/", "get")]
    assert "date_from" in reads[("/api/v1/audit-events/", "get")]
    # ... and every one of them is declared.
    gaps = undeclared_reads(schema, reads)
    assert gaps == [], "\n".join(gaps)


# --- The broken variants -----------------------------------------------------------


class SneakyView(APIView):
    """Declares ``declared`` but also reads ``sneaky``."""

    required_scopes = {"read": Scope.CLIENTS_READ}

    @extend_schema(
        operation_id="canary_sneaky",
        responses={200: OpenApiTypes.OBJECT},
        parameters=[OpenApiParameter("declared", str)],
    )
    def get(self, request: Request) -> Response:
        return Response(
            {
                "declared": request.query_params.get("declared", ""),
                "sneaky": request.query_params.get("sneaky", ""),
            }
        )


class HiddenView(APIView):
    """Served, but left out of the schema."""

    required_scopes = {"read": Scope.CLIENTS_READ, "write": Scope.CLIENTS_WRITE}

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        return Response({})


class HalfView(APIView):
    """GET in the schema, DELETE served but not documented."""

    required_scopes = {"read": Scope.CLIENTS_READ, "write": Scope.CLIENTS_WRITE}

    @extend_schema(operation_id="canary_half", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        return Response({})

    @extend_schema(exclude=True)
    def delete(self, request: Request) -> Response:
        return Response(status=204)


urlpatterns = [
    path("api/v1/canary/sneaky/", SneakyView.as_view(), name="sneaky"),
    path("api/v1/canary/hidden/<int:thing_id>/", HiddenView.as_view(), name="hidden"),
    path("api/v1/canary/half/", HalfView.as_view(), name="half"),
]


def test_the_gate_reports_a_served_url_or_method_missing_from_the_schema(db):
    schema = openapi.generate_schema(urlconf=__name__)
    gaps = missing_endpoints(schema, openapi.served_endpoints(urlconf=__name__))
    assert gaps == [
        "URL not in the schema: /api/v1/canary/hidden/{thing_id}/ (hidden)",
        "Method not in the schema: DELETE /api/v1/canary/half/",
    ]


def test_the_gate_reports_a_parameter_read_but_not_declared(cast: Cast, settings):
    settings.ROOT_URLCONF = __name__
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, recorder.MIDDLEWARE_PATH]
    recorder.clear()
    schema = openapi.generate_schema(urlconf=__name__)
    ops = openapi.operations(schema, openapi.served_endpoints(urlconf=__name__))
    creds = roles.credentials(cast, ("admin",))
    walk_reads(ops, creds, {}, _sender(_clients(creds)))
    reads = recorder.recorded()
    assert reads[("/api/v1/canary/sneaky/", "get")] >= {"declared", "sneaky"}
    assert undeclared_reads(schema, reads) == [
        "Query parameter read but not declared: GET /api/v1/canary/sneaky/ ?sneaky"
    ]
