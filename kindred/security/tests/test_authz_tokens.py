"""The matrix's API-token pass (``KINDRED_AUTHZ_TOKENS=1``): the /api/ and /fhir/ rows are asked
again with each staff person's API token (made through the token service with every
scope their roles allow) instead of their session, with the same expectations, except
that a token the operation's scope refuses gets 401/403 whoever holds it.

A view that is right for sessions but skips its access check for tokens is caught by
this pass and not by the session one; a correct view, and a view that refuses tokens
altogether, give no finding."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test.utils import override_settings
from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kindred.accounts.models import ApiToken
from kindred.accounts.scopes import Scope
from kindred.groups.access import get_group_for
from kindred.groups.models import TherapyGroup
from kindred.practice.roles import Capability
from kindred.security.authz.matrix import (
    Finding,
    Pattern,
    cells_for,
    run_row,
    token_cells,
    url_patterns,
)
from kindred.security.authz.rules import CLINICIANS, STAFF, Who, cap, row, rule
from kindred.security.authz.stage import Stage, stage
from kindred.security.authz.table import ROWS

__all__ = ["stage"]  # the fixture, imported for pytest

GROUP_RULE = rule(CLINICIANS, cap(Capability.VIEW_ALL_GROUPS))
# Sessions scopes: every clinician and group manager may hold them (billing may not).
SCOPES = {"read": Scope.SESSIONS_READ, "write": Scope.SESSIONS_WRITE}


def _staff_group(request: Request, group_id: int) -> TherapyGroup:
    if not getattr(request.user, "is_staff_member", False):
        raise Http404
    return get_group_for(request.user, group_id)  # type: ignore[arg-type]


class Proper(APIView):
    required_scopes = SCOPES

    def get(self, request: Request, group_id: int) -> Response:
        return Response({"name": _staff_group(request, group_id).name})


class TokenLeaky(APIView):
    """Broken for tokens only: a request with a token skips the group check."""

    required_scopes = SCOPES

    def get(self, request: Request, group_id: int) -> Response:
        if isinstance(request.auth, ApiToken):
            group = TherapyGroup.objects.filter(pk=group_id).first()
            if group is None:
                raise Http404
            return Response({"name": group.name})
        return Response({"name": _staff_group(request, group_id).name})


class NoScope(APIView):
    """Declares no scope: refuses every token (deny by default), right for sessions."""

    def get(self, request: Request, group_id: int) -> Response:
        return Response({"name": _staff_group(request, group_id).name})


urlpatterns = [
    path("api/authz-test/proper/<int:group_id>/", Proper.as_view(), name="authz_api_proper"),
    path("api/authz-test/leaky/<int:group_id>/", TokenLeaky.as_view(), name="authz_api_leaky"),
    path("api/authz-test/noscope/<int:group_id>/", NoScope.as_view(), name="authz_api_noscope"),
    path("", include("kindred.urls")),
]


def _run(name: str, stage: Stage, *, tokens: bool = True) -> tuple[list[Finding], int]:
    world, clients = stage
    bearers = world.make_bearers() if tokens else None
    the_row = row(GROUP_RULE, {"group_id": "group"})
    pattern = Pattern(key=name, route=f"api/authz-test/{name}/<int:group_id>/", name=name)
    with override_settings(ROOT_URLCONF=__name__):
        result = run_row(pattern, the_row, world, clients, full=True, bearers=bearers)
    return result.findings, result.token_requests


@pytest.mark.django_db
def test_every_staff_person_gets_a_token_and_no_member_does(stage: Stage) -> None:
    world, _ = stage
    bearers = world.make_bearers()
    assert set(bearers) == set(STAFF)
    assert all(b.scopes for b in bearers.values())
    # Clinicians' tokens carry the group and session scopes; billing's do not.
    assert Scope.SESSIONS_READ in bearers[Who.FACILITATOR].scopes
    assert Scope.SESSIONS_READ not in bearers[Who.BILLING].scopes


@pytest.mark.django_db
def test_token_cells_only_for_api_paths_and_token_holders(stage: Stage) -> None:
    world, _ = stage
    bearers = world.make_bearers()
    patterns = {p.key: p for p in url_patterns()}
    api = patterns["api:v1:group_detail"]
    cells, _ = cells_for(api, ROWS[api.key], world, full=True)
    twins = token_cells(cells, bearers)
    assert twins
    assert {c.who for c in twins} == set(STAFF)
    assert all(c.auth == "token" and c.url.startswith("/api/") for c in twins)
    # Same expectations as the session cells they copy.
    session = {(c.who, c.kind, c.method): (c.allowed, c.must_404) for c in cells}
    assert all(session[(c.who, c.kind, c.method)] == (c.allowed, c.must_404) for c in twins)
    web = patterns["web:group_detail"]
    web_cells, _ = cells_for(web, ROWS[web.key], world, full=True)
    assert token_cells(web_cells, bearers) == []


@pytest.mark.django_db
def test_a_correct_api_view_has_no_finding_with_tokens(stage: Stage) -> None:
    findings, token_requests = _run("authz_api_proper", stage)
    assert findings == []
    assert token_requests > 0


@pytest.mark.django_db
def test_a_view_that_skips_its_check_for_tokens_is_caught(stage: Stage) -> None:
    # The session pass sees nothing wrong ...
    assert _run("authz_api_leaky", stage, tokens=False)[0] == []
    # ... the token pass reports the other facilitator and billing reading group A.
    findings, _ = _run("authz_api_leaky", stage)
    leaks = {(f.who, f.cell, f.method) for f in findings}
    assert all(f.auth == "token" for f in findings)
    assert ("facilitator_b", "A", "GET") in leaks
    assert ("facilitator", "B", "GET") in leaks
    assert not any(who in ("admin", "coordinator") for who, _, _ in leaks)


@pytest.mark.django_db
def test_a_view_without_a_scope_refuses_tokens_and_that_is_no_finding(stage: Stage) -> None:
    findings, token_requests = _run("authz_api_noscope", stage)
    assert findings == []
    assert token_requests > 0
