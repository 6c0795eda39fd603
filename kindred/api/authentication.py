"""Bearer-token authentication for integrations."""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from kindred.accounts.models import ApiToken, User
from kindred.accounts.tokens import PREFIX_LEN, TOKEN_PREFIX, hash_token

LAST_USED_GRANULARITY = timedelta(minutes=5)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0] != self.keyword:
            return None
        raw = parts[1]
        if not raw.startswith(TOKEN_PREFIX) or len(raw) < len(TOKEN_PREFIX) + PREFIX_LEN + 8:
            raise exceptions.AuthenticationFailed("Invalid token.")
        prefix = raw[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + PREFIX_LEN]
        token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
        now = timezone.now()
        if (
            token is None
            or not hmac.compare_digest(token.token_hash, hash_token(raw))
            or token.revoked_at is not None
            or (token.expires_at is not None and token.expires_at <= now)
            or not token.user.is_active
        ):
            raise exceptions.AuthenticationFailed("Invalid or expired token.")
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "kindred.api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "kdt_…",
            "description": "An API token created on the API tokens page. Scopes apply.",
        }
