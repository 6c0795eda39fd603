"""The account page (/account/) and API tokens made there."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from kindred.accounts.models import ApiToken
from kindred.accounts.token_services import api_token_create
from kindred.accounts.tokens import hash_token
from kindred.audit.models import AuditEvent, Category
from kindred.core.testing import PASSWORD, signed_in

NEW = "/account/tokens/new/"


def confirmed(user) -> HttpClient:
    """Signed in and just re-authenticated (as after typing the password again)."""
    http = signed_in(user)
    response = http.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302
    return http


def test_anonymous_is_sent_to_sign_in(db):
    response = HttpClient().get("/account/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_account_page_shows_who_you_are_and_your_security(cast):
    html = signed_in(cast.coordinator).get("/account/").content.decode()
    assert "<h1>Your account</h1>" in html
    assert "Cora Coordinator" in html
    assert "coordinator@example.test" in html
    assert "Intake coordinator" in html
    assert "Change your password" in html
    assert "Two-step verification" in html
    assert "Where you are signed in" in html
    assert "API tokens" in html
    assert "No API tokens yet." in html


def test_members_see_no_token_section(cast):
    # Facilitators and supervisors hold tokens too (kindred/notes/tests/test_api_tokens.py).
    http = signed_in(cast.member)
    assert "API tokens" not in http.get("/account/").content.decode()
    http.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert http.get(NEW).status_code == 403
    assert http.post(NEW, {"name": "x", "scopes": ["clinicians:read"]}).status_code == 403
    assert not ApiToken.objects.exists()


def test_creating_a_token_needs_recent_authentication(cast):
    http = signed_in(cast.admin)
    response = http.get(NEW)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    http.post("/accounts/reauthenticate/?next=" + NEW, {"password": PASSWORD})
    assert http.get(NEW).status_code == 200


def test_the_form_offers_only_the_scopes_the_roles_allow(cast):
    html = confirmed(cast.billing).get(NEW).content.decode()
    assert 'value="clinicians:read"' in html
    assert 'value="practice:read"' in html
    assert 'value="clients:read"' not in html
    assert 'value="audit:read"' not in html


def test_a_token_is_shown_once(cast):
    http = confirmed(cast.admin)
    response = http.post(
        NEW, {"name": "EHR sync", "scopes": ["audit:read", "clients:read"], "expires_in_days": 30}
    )
    assert response.status_code == 200
    html = response.content.decode()
    token = ApiToken.objects.get()
    raw = html.split('id="new-token" class="token-value" value="')[1].split('"')[0]
    assert raw.startswith("kdt_")
    assert token.token_hash == hash_token(raw)
    assert token.scopes == ["audit:read", "clients:read"]
    assert token.user_id == cast.admin.pk
    assert "only time it is shown" in html

    listing = http.get("/account/").content.decode()
    assert raw not in listing
    assert f"kdt_{token.prefix}" in listing
    assert "EHR sync" in listing
    assert "Never" in listing  # not used yet
    event = AuditEvent.objects.get(action="accounts.api_token.created")
    assert event.category == Category.CHANGE
    assert raw not in str(event.detail)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "scopes": ["audit:read"], "expires_in_days": 30}, "name"),
        ({"name": "x" * 81, "scopes": ["audit:read"], "expires_in_days": 30}, "name"),
        ({"name": "Sync", "expires_in_days": 30}, "scopes"),
        ({"name": "Sync", "scopes": ["audit:write"], "expires_in_days": 30}, "scopes"),
        ({"name": "Sync", "scopes": ["audit:read"], "expires_in_days": 0}, "expires_in_days"),
        ({"name": "Sync", "scopes": ["audit:read"], "expires_in_days": 400}, "expires_in_days"),
        ({"name": "Sync", "scopes": ["audit:read"], "expires_in_days": "soon"}, "expires_in_days"),
    ],
)
def test_bad_input_is_explained_beside_the_field_and_nothing_is_saved(cast, data, field):
    response = confirmed(cast.admin).post(NEW, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert not ApiToken.objects.exists()


def test_a_scope_beyond_the_roles_is_refused(cast):
    """Billing may not read the audit log, so it cannot make a token that does."""
    response = confirmed(cast.billing).post(
        NEW, {"name": "Sneaky", "scopes": ["audit:read"], "expires_in_days": 30}
    )
    assert response.status_code == 200
    assert 'id="id_scopes_error"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoking_a_token(cast):
    _, token = api_token_create(actor=cast.coordinator, name="Intake form", scopes=["clients:read"])
    http = signed_in(cast.coordinator)
    assert http.get(f"/account/tokens/{token.pk}/revoke/").status_code == 405
    response = http.post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert response["Location"] == "/account/#tokens"
    token.refresh_from_db()
    assert token.revoked_at is not None
    page = http.get("/account/").content.decode()
    assert "is revoked" in page
    assert "Intake form" not in page.split("is revoked")[1]


def test_someone_elses_token_is_not_found(cast):
    _, token = api_token_create(actor=cast.admin, name="Admin's", scopes=["audit:read"])
    response = signed_in(cast.coordinator).post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    denied = AuditEvent.objects.get(category=Category.DENIED)
    assert denied.actor_id == cast.coordinator.pk
    assert denied.object_id == str(token.pk)


def test_expired_tokens_are_marked(cast):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    api_token_create(actor=cast.admin, name="Old one", scopes=["audit:read"], expires_in_days=1)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        html = signed_in(cast.admin).get("/account/").content.decode()
    assert "Expired" in html
