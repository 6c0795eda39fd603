"""The OpenAPI schema and docs: staff only, valid, warning-free, and the docs page works
under Kindred's Content-Security-Policy."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client as HttpClient
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from kindred.accounts.token_services import api_token_create
from kindred.core.testing import signed_in


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/docs/?script="])
def test_anonymous_may_not_see_the_schema_or_docs(db, path):
    assert HttpClient().get(path).status_code in {401, 403}


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/docs/?script="])
def test_members_may_not_see_the_schema_or_docs(cast, path):
    assert signed_in(cast.member).get(path).status_code == 403


@pytest.mark.parametrize("who", ["admin", "coordinator", "facilitator", "billing"])
def test_staff_may_see_the_schema(cast, who):
    response = signed_in(getattr(cast, who)).get("/api/schema/")
    assert response.status_code == 200
    assert b"openapi" in response.content


def test_an_integration_token_may_fetch_the_schema(cast):
    raw, _ = api_token_create(actor=cast.coordinator, name="Client gen", scopes=["clients:read"])
    response = HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/schema/")
    assert response.status_code == 200


def test_the_schema_is_valid_and_generates_without_warnings(db):
    GENERATOR_STATS.reset()
    generator = SchemaGenerator()  # type: ignore[no-untyped-call]
    schema = generator.get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    warnings = dict(GENERATOR_STATS._warn_cache)
    errors = dict(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    assert warnings == {}
    assert errors == {}
    validate_schema(schema)  # type: ignore[no-untyped-call]

    scheme = schema["components"]["securitySchemes"]["apiToken"]
    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"
    paths = schema["paths"]
    for path in (
        "/api/v1/me/",
        "/api/v1/tokens/",
        "/api/v1/tokens/{token_id}/",
        "/api/v1/audit-events/",
        "/api/v1/audit-events/{event_id}/",
    ):
        assert path in paths, path
    # The audit log is read-only in the schema too.
    assert set(paths["/api/v1/audit-events/"]) == {"get"}
    assert set(paths["/api/v1/audit-events/{event_id}/"]) == {"get"}
    names = {p["name"] for p in paths["/api/v1/audit-events/"]["get"]["parameters"]}
    assert {"actor", "action", "category", "client", "date_from", "date_to", "page"} <= names
    assert {"apiToken": []} in paths["/api/v1/me/"]["get"]["security"]


def test_the_docs_page_loads_its_scripts_under_the_csp(cast):
    http = signed_in(cast.admin)
    response = http.get("/api/docs/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce, csp
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp
    html = response.content.decode()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert len(scripts) == 3
    for attrs, body in scripts:
        assert body.strip() == "", "no inline script"
        src = re.search(r'src="([^"]+)"', attrs)
        assert src, attrs
        assert src.group(1).startswith(("/static/", "/api/docs/?")), src.group(1)
        assert f'nonce="{nonce.group(1)}"' in attrs
    assert "<style" not in html
    assert ' style="' not in html
    # Every script it names exists: static files (from drf-spectacular-sidecar) ...
    for attrs, _ in scripts:
        src = re.search(r'src="(/static/[^"]+)"', attrs)
        if src:
            assert finders.find(src.group(1).removeprefix("/static/")), src.group(1)
    # ... and the start-up script, from the docs view itself.
    init = http.get("/api/docs/?script=")
    assert init["Content-Type"].startswith("application/javascript")
    assert b"/api/schema/" in init.content
