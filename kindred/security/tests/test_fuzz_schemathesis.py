"""Schemathesis over every API operation, once per role, in-process (SECURITY.md: schema
fuzzing per role; kindred/security/fuzz/schemathesis_run.py). Small: one generated case
per operation and role, plus one with real ids in the path; the CLI
(``python -m kindred.security.fuzz``) runs more against a live server.

Each role's run asserts: no 5xx, answers conform to the schema, no 2xx where the role may
not succeed, and every query parameter read on the way is declared. The broken variants
(a view that 500s, one answering outside its schema, one open to a role it must refuse)
prove the checks catch each kind.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kindred.accounts.scopes import Scope
from kindred.core.testing import Cast
from kindred.security.fuzz import openapi, recorder, roles, schemathesis_run
from kindred.security.fuzz.completeness import undeclared_reads
from kindred.security.fuzz.inprocess import preload_pdf_library, wsgi_app

SECONDS = 300  # a bound, never reached in practice


def _fuzz(cast: Cast, settings: Any, who: tuple[str, ...], urlconf: str | None = None) -> Any:
    preload_pdf_library()
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, recorder.MIDDLEWARE_PATH]
    if urlconf:
        settings.ROOT_URLCONF = urlconf
    recorder.clear()
    schema = openapi.generate_schema(urlconf=urlconf)
    ops = openapi.operations(schema, openapi.served_endpoints(urlconf=urlconf))
    with wsgi_app() as app:
        result = schemathesis_run.run(
            schema,
            ops,
            roles.credentials(cast, who),
            schemathesis_run.Target(app=app),
            examples=1,
            seconds=SECONDS,
            known_ids=roles.known_ids(cast),
        )
    return schema, ops, result


def test_every_operation_as_every_role(cast: Cast, settings):
    schema, ops, result = _fuzz(cast, settings, roles.ROLES)
    assert len(ops) > 250
    assert not result.timed_out
    assert result.operations == len(ops)
    assert result.cases >= len(ops) * len(roles.ROLES)
    findings = "\n".join(str(f.as_dict()) for f in result.findings)
    assert result.findings == [], findings
    assert undeclared_reads(schema, recorder.recorded()) == []
    for role in (*roles.STAFF_ROLES, "member"):
        assert result.successes.get(role), f"{role} got no 2xx at all: a broken credential"


# --- The broken variants -----------------------------------------------------------


class CrashView(APIView):
    required_scopes = {"read": Scope.CLIENTS_READ}

    @extend_schema(operation_id="canary_crash", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        raise RuntimeError("deliberate")


class OffSchemaView(APIView):
    required_scopes = {"read": Scope.CLIENTS_READ}

    @extend_schema(
        operation_id="canary_off_schema",
        responses={200: inline_serializer("CanaryCount", {"count": serializers.IntegerField()})},
    )
    def get(self, request: Request) -> Response:
        return Response({"count": "not a number"})


class LeakyView(APIView):
    """Declares the audit scope but lets anyone in."""

    required_scopes = {"read": Scope.AUDIT_READ}
    permission_classes: list[Any] = []

    @extend_schema(operation_id="canary_leaky", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        return Response({"secret": True})


urlpatterns = [
    path("api/v1/canary/crash/", CrashView.as_view()),
    path("api/v1/canary/off-schema/", OffSchemaView.as_view()),
    path("api/v1/canary/leaky/", LeakyView.as_view()),
]


def test_the_fuzzer_reports_a_5xx_an_off_schema_answer_and_a_role_let_in(cast: Cast, settings):
    _, ops, result = _fuzz(cast, settings, ("coordinator",), urlconf=__name__)
    assert len(ops) == 3
    found = {(f.kind, f.operation) for f in result.findings}
    assert found == {
        ("server_error", "GET /api/v1/canary/crash/"),
        ("schema", "GET /api/v1/canary/off-schema/"),
        ("authz", "GET /api/v1/canary/leaky/"),  # a coordinator has no audit:read
    }


def test_the_oracle_lets_public_views_answer_anyone(cast: Cast):
    class Public(APIView):
        permission_classes = [AllowAny]

    endpoint = openapi.Endpoint("/api/v1/x/", "x", Public, frozenset({"get"}))
    op = openapi.Operation("/api/v1/x/", "get", {}, endpoint)
    anonymous = roles.Credential(role="anonymous", kind="anonymous")
    assert roles.may_succeed(anonymous, op)
    leaky = openapi.Endpoint("/api/v1/x/", "x", LeakyView, frozenset({"get"}))
    assert not roles.may_succeed(anonymous, openapi.Operation("/api/v1/x/", "get", {}, leaky))
