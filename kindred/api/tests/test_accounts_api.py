"""API: /api/v1/me/, /api/v1/tokens/, and how token authentication behaves."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client as HttpClient
from django.utils import timezone

from kindred.accounts.models import ApiToken
from kindred.accounts.services import staff_create, staff_set_roles, user_deactivate
from kindred.accounts.token_services import api_token_create, api_token_revoke
from kindred.audit.models import AuditEvent
from kindred.core.testing import PASSWORD, signed_in
from kindred.practice.roles import Role


def bearer(raw: str) -> HttpClient:
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


def confirmed(user) -> HttpClient:
    http = signed_in(user)
    assert http.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    return http


# --- /me/ ----------------------------------------------------------------------------


def test_me_with_a_session(cast):
    body = signed_in(cast.coordinator).get("/api/v1/me/").json()
    assert body == {
        "id": cast.coordinator.pk,
        "email": "coordinator@example.test",
        "full_name": "Cora Coordinator",
        "kind": "staff",
        "roles": ["coordinator"],
        "auth": "session",
        "token_scopes": None,
    }


def test_me_with_a_token_of_any_scope(cast):
    raw, _ = api_token_create(actor=cast.billing, name="Books", scopes=["clinicians:read"])
    body = bearer(raw).get("/api/v1/me/").json()
    assert body["email"] == "billing@example.test"
    assert body["auth"] == "token"
    assert body["token_scopes"] == ["clinicians:read"]


def test_me_for_a_member(cast):
    body = signed_in(cast.member).get("/api/v1/me/").json()
    assert body["kind"] == "member"
    assert body["roles"] == []


def test_me_anonymous_is_401(db):
    response = HttpClient().get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


# --- token authentication ------------------------------------------------------------


@pytest.fixture
def audit_token(cast) -> tuple[str, ApiToken]:
    return api_token_create(actor=cast.admin, name="SIEM export", scopes=["audit:read"])


def test_a_valid_token_works_within_its_scopes(cast, audit_token):
    raw, token = audit_token
    assert bearer(raw).get("/api/v1/audit-events/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    # Its scope is audit:read, so it may not write ...
    assert bearer(raw).post("/api/v1/audit-events/", {}).status_code == 403
    # ... and a token without audit:read may not read the log.
    other, _ = api_token_create(actor=cast.admin, name="Practice", scopes=["practice:read"])
    assert bearer(other).get("/api/v1/audit-events/").status_code == 403


@pytest.mark.parametrize(
    "header",
    [
        "Bearer kdt_",
        "Bearer kdt_short",
        "Bearer nottheprefix0000000000000000000000000",
        "Bearer kdt_AAAAAAAAzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
    ],
)
def test_malformed_or_unknown_tokens_are_401(cast, header):
    response = HttpClient(HTTP_AUTHORIZATION=header).get("/api/v1/me/")
    assert response.status_code == 401


def test_a_token_with_the_right_prefix_but_wrong_secret_is_401(cast, audit_token):
    raw, _ = audit_token
    forged = raw[:-4] + ("aaaa" if not raw.endswith("aaaa") else "bbbb")
    assert bearer(forged).get("/api/v1/me/").status_code == 401


def test_a_revoked_token_is_401(cast, audit_token):
    raw, token = audit_token
    api_token_revoke(actor=cast.admin, token=token)
    assert bearer(raw).get("/api/v1/audit-events/").status_code == 401


def test_an_expired_token_is_401(cast):
    raw, _ = api_token_create(
        actor=cast.admin, name="Short", scopes=["audit:read"], expires_in_days=1
    )
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        assert bearer(raw).get("/api/v1/audit-events/").status_code == 401


def test_a_deactivated_owners_tokens_are_401(cast):
    raw, _ = api_token_create(actor=cast.coordinator, name="Intake", scopes=["clients:read"])
    user_deactivate(actor=cast.admin, user=cast.coordinator, reason="Left the practice")
    assert bearer(raw).get("/api/v1/me/").status_code == 401


def test_a_token_never_outlives_its_owners_roles(cast, audit_token):
    """The role check runs on every request: take the admin role away and the token that
    reads the audit log stops working, although it still carries audit:read."""
    raw, token = audit_token
    second_admin = staff_create(
        actor=cast.admin,
        email="second.admin@example.test",
        full_name="Second Admin",
        roles=[Role.ADMIN],
    )
    assert bearer(raw).get("/api/v1/audit-events/").status_code == 200
    staff_set_roles(actor=second_admin, user=cast.admin, roles=[Role.COORDINATOR])
    response = bearer(raw).get("/api/v1/audit-events/")
    assert response.status_code == 403
    token.refresh_from_db()
    assert token.scopes == ["audit:read"]
    # Give the role back and it works again: nothing was cached.
    staff_set_roles(actor=second_admin, user=cast.admin, roles=[Role.ADMIN])
    assert bearer(raw).get("/api/v1/audit-events/").status_code == 200


# --- /tokens/ ------------------------------------------------------------------------


def test_list_own_tokens(cast, django_assert_max_num_queries):
    for n in range(25):
        api_token_create(actor=cast.coordinator, name=f"Token {n}", scopes=["clients:read"])
    api_token_create(actor=cast.admin, name="Not yours", scopes=["audit:read"])
    http = signed_in(cast.coordinator)
    http.get("/api/v1/me/")  # the session's first request does one-off bookkeeping
    # Session, user, roles, tokens: the same few queries for 1 token or 1,000.
    with django_assert_max_num_queries(6):
        body = http.get("/api/v1/tokens/").json()
    assert len(body) == 25
    assert {t["name"] for t in body} == {f"Token {n}" for n in range(25)}
    assert "token_hash" not in body[0]
    assert "token" not in body[0]
    assert set(body[0]) == {
        "id", "name", "prefix", "scopes", "created_at", "expires_at", "last_used_at",
        "revoked_at",
    }  # fmt: skip


def test_create_a_token_after_recent_authentication(cast):
    http = confirmed(cast.coordinator)
    response = http.post(
        "/api/v1/tokens/",
        {"name": "Intake form", "scopes": ["clients:read"], "expires_in_days": 30},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("kdt_")
    assert body["scopes"] == ["clients:read"]
    assert bearer(body["token"]).get("/api/v1/me/").json()["auth"] == "token"
    # Shown once: the list never has it.
    assert "token" not in http.get("/api/v1/tokens/").json()[0]
    assert AuditEvent.objects.filter(action="accounts.api_token.created").count() == 1


def test_create_needs_recent_authentication(cast):
    response = signed_in(cast.coordinator).post(
        "/api/v1/tokens/",
        {"name": "Intake", "scopes": ["clients:read"]},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "reauthentication_required"
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"scopes": ["clients:read"]}, "name"),
        ({"name": "", "scopes": ["clients:read"]}, "name"),
        ({"name": "x" * 81, "scopes": ["clients:read"]}, "name"),
        ({"name": "Intake"}, "scopes"),
        ({"name": "Intake", "scopes": []}, "scopes"),
        ({"name": "Intake", "scopes": ["clients:delete"]}, "scopes"),
        ({"name": "Intake", "scopes": ["audit:read"]}, "scopes"),  # beyond the roles
        ({"name": "Intake", "scopes": ["clients:read"], "expires_in_days": 0}, "expires_in_days"),
        ({"name": "Intake", "scopes": "clients:read"}, "scopes"),
    ],
)
def test_create_with_bad_input_is_400_and_saves_nothing(cast, payload, field):
    response = confirmed(cast.coordinator).post(
        "/api/v1/tokens/", payload, content_type="application/json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not ApiToken.objects.exists()


def test_malformed_json_is_400(cast):
    response = confirmed(cast.coordinator).post(
        "/api/v1/tokens/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_tokens_may_not_mint_or_list_tokens(cast):
    raw, _ = api_token_create(
        actor=cast.admin,
        name="Everything",
        scopes=["audit:read", "clients:read", "clients:write", "practice:write"],
    )
    http = bearer(raw)
    assert http.get("/api/v1/tokens/").status_code == 403
    response = http.post(
        "/api/v1/tokens/",
        {"name": "Child", "scopes": ["audit:read"]},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert ApiToken.objects.count() == 1


def test_roles_without_tokens_cannot_list_or_create(cast):
    # Members hold no tokens (facilitators do: kindred/notes/tests/test_api_tokens.py).
    http = confirmed(cast.member)
    assert http.get("/api/v1/tokens/").status_code == 403
    response = http.post(
        "/api/v1/tokens/",
        {"name": "Mine", "scopes": ["clinicians:read"]},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_revoke_own_token(cast):
    raw, token = api_token_create(actor=cast.coordinator, name="Intake", scopes=["clients:read"])
    http = signed_in(cast.coordinator)
    assert http.delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    assert bearer(raw).get("/api/v1/me/").status_code == 401
    assert http.get(f"/api/v1/tokens/{token.pk}/").json()["revoked_at"] is not None


def test_someone_elses_token_is_404(cast, audit_token):
    _, token = audit_token
    http = signed_in(cast.coordinator)
    assert http.get(f"/api/v1/tokens/{token.pk}/").status_code == 404
    assert http.delete(f"/api/v1/tokens/{token.pk}/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert AuditEvent.objects.filter(category="denied", actor=cast.coordinator).count() == 2
