"""The shared API test clients (``kindred.api.testing``) sign in as they say they do."""

from __future__ import annotations

from kindred.accounts.models import ApiToken
from kindred.accounts.scopes import Scope
from kindred.api.testing import session, token
from kindred.core.testing import Cast


def test_session_client_is_signed_in_by_session(cast: Cast) -> None:
    body = session(cast.member).get("/api/v1/me/").json()
    assert body["id"] == cast.member.pk
    assert body["auth"] == "session"
    assert body["token_scopes"] is None


def test_token_client_sends_a_token_with_exactly_the_scopes_given(cast: Cast) -> None:
    body = token(cast.facilitator, Scope.SPACE_READ).get("/api/v1/me/").json()
    assert body["id"] == cast.facilitator.pk
    assert body["auth"] == "token"
    assert body["token_scopes"] == [Scope.SPACE_READ]
    # Stored as given, even a scope the person could never be granted, so tests can
    # prove the API refuses it.
    token(cast.member, Scope.SPACE_WRITE)
    assert ApiToken.objects.get(user=cast.member).scopes == [Scope.SPACE_WRITE]
    assert token(cast.member).get("/api/v1/me/").json()["token_scopes"] == []
