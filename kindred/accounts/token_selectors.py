"""Reads of API tokens: a person sees and revokes only their own."""

from __future__ import annotations

from django.db.models import QuerySet

from kindred.accounts.models import ApiToken, User
from kindred.accounts.scopes import SCOPE_DESCRIPTIONS, Scope
from kindred.accounts.token_services import allowed_scopes
from kindred.core.access import deny
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability


def api_token_list(*, actor: User) -> QuerySet[ApiToken]:
    """The actor's tokens that have not been revoked, newest first (expired ones too, so
    they can be recognised and cleaned up)."""
    role_checks.require(actor, Capability.MANAGE_OWN_TOKENS)
    return ApiToken.objects.filter(user=actor, revoked_at__isnull=True).order_by(
        "-created_at", "-id"
    )


def get_api_token_for(actor: User, token_id: object) -> ApiToken:
    """One of the actor's own tokens; anyone else's is "not found" (and recorded)."""
    try:
        pk = int(str(token_id))
    except ValueError:
        deny(actor, ApiToken, token_id)
    token = ApiToken.objects.filter(pk=pk, user=actor).first()
    if token is None:
        deny(actor, ApiToken, token_id)
    return token


def token_scope_choices(*, actor: User) -> list[tuple[str, str]]:
    """(scope, description) for each scope the actor may put on a token, in a stable order."""
    role_checks.require(actor, Capability.MANAGE_OWN_TOKENS)
    allowed = allowed_scopes(actor)
    return [(s.value, SCOPE_DESCRIPTIONS[s]) for s in Scope if s in allowed]
