"""allauth adapters: no public sign-up (accounts come from admins and invitations);
staff cannot remove their own two-factor authenticator."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        from django.urls import reverse

        return reverse("web:home")

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # Emails carry no clinical content; the templates say only what to do next.
        super().send_mail(template_prefix, email, context)


class MFAAdapter(DefaultMFAAdapter):  # type: ignore[misc]
    def can_delete_authenticator(self, authenticator: Any) -> bool:
        from allauth.mfa.models import Authenticator

        user = authenticator.user
        is_staff = getattr(user, "is_staff_member", False)
        return not (is_staff and authenticator.type == Authenticator.Type.TOTP)
