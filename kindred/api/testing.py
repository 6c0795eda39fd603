"""Test helpers for the API v1 tests of the apps: an API client signed in by session, as
the member's browser would be, and one that holds a bearer token with given scopes.

The token is stored directly (not through ``api_token_create``), so a test can give it
scopes the person could never be granted and prove the API refuses them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.test import APIClient

from kindred.accounts.models import ApiToken
from kindred.accounts.tokens import new_token

if TYPE_CHECKING:
    from kindred.accounts.models import User


def session(user: User) -> APIClient:
    """An API client signed in as ``user`` by session (two-factor already passed)."""
    client = APIClient()
    client.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
    return client


def token(user: User, *scopes: str) -> APIClient:
    """An API client sending a fresh bearer token of ``user`` with exactly ``scopes``."""
    raw, prefix, digest = new_token()
    ApiToken.objects.create(
        user=user, name="t", prefix=prefix, token_hash=digest, scopes=list(scopes)
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client
