"""API permission checks. Role capabilities and object access are checked by the same
access functions the web pages use; these classes add the token-scope gate."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from kindred.accounts.models import ApiToken


class HasTokenScope(BasePermission):
    """Signed-in users pass; a token must carry the scope the view declares.

    A view declares ``required_scopes = {"read": Scope.X_READ, "write": Scope.X_WRITE}``.
    A view that declares nothing refuses tokens (deny by default).
    """

    message = "This API token does not have the scope this operation needs."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        token = request.auth
        if not isinstance(token, ApiToken):
            return True  # a browser session: roles decide
        scopes: dict[str, str] = getattr(view, "required_scopes", {})
        needed = scopes.get("read" if request.method in SAFE_METHODS else "write")
        if needed is None or needed not in token.scopes:
            return False
        # Checked on every request, so a token never outlives its owner's roles.
        from kindred.accounts.token_services import allowed_scopes

        return needed in allowed_scopes(user)


class IsStaffUser(BasePermission):
    """The OpenAPI schema and docs are for staff and integrations, not the public."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_staff_member", False))
