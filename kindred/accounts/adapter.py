"""allauth adapters: no public sign-up (accounts come from admins and invitations);
staff cannot remove their own two-factor authenticator; password failures are counted by
django-axes, not by allauth's cache; a fresh sign-in counts as recent authentication."""

from __future__ import annotations

import time
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kindred.audit.models import Category
from kindred.audit.services import audit_record


def signed_in_recently(request: HttpRequest | None) -> bool:
    """True when the person completed a sign-in (or re-authentication) step within the
    re-authentication window, in this session."""
    if request is None or not request.user.is_authenticated:
        return False
    # allauth keeps the authentication steps of this session (password, two-factor, ...)
    # with their times; this reads them without changing anything.
    from allauth.account.internal.flows.login import get_authentication_records

    records = get_authentication_records(request, request.user)
    if not records:
        return False
    newest = max(float(r.get("at", 0)) for r in records)
    return time.time() - newest < settings.ACCOUNT_REAUTHENTICATION_TIMEOUT


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": _(
            "That email address and password do not match. Check both and try again."
        ),
        "too_many_login_attempts": _(
            "Too many attempts. Please wait a few minutes before you try again."
        ),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return reverse("web:home")

    def login(self, request: HttpRequest, user: Any) -> None:
        super().login(request, user)
        from kindred.accounts.middleware import LAST_SEEN_KEY, SIGNED_IN_KEY

        # The 12-hour limit and the idle clock start now, whatever the session held before.
        now = time.time()
        request.session[SIGNED_IN_KEY] = now
        request.session[LAST_SEEN_KEY] = now

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # Emails carry no clinical content; the templates say only what to do next, in
        # the practice's name.
        from kindred.practice.settings import practice_settings

        context = {**context, "practice_name": practice_settings().name}
        super().send_mail(template_prefix, email, context)

    def format_email_subject(self, subject: str) -> str:
        # The practice's name may hold a line break; a header may not.
        return " ".join(str(super().format_email_subject(subject)).split())

    def send_password_reset_mail(self, user: Any, email: str, context: dict[str, Any]) -> None:
        with transaction.atomic():
            audit_record(
                actor=None,
                action="accounts.password.reset_requested",
                category=Category.AUTH,
                obj=user,
            )
        super().send_password_reset_mail(user, email, context)

    def respond_user_inactive(self, request: HttpRequest, user: Any) -> Any:
        # The right password for a switched-off account (the failed attempt itself is
        # recorded too, by the receivers, as for any password that is not accepted).
        with transaction.atomic():
            audit_record(
                actor=None,
                action="accounts.session.inactive_refused",
                category=Category.AUTH,
                obj=user,
                detail={"email": user.email},
            )
        return super().respond_user_inactive(request, user)

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        # django-axes counts failed passwords in the database and answers 429 with
        # Retry-After; allauth's second, cache-based counter would answer first with a
        # different message (and would forget everything when the cache restarts).
        self._login_failed_rl_usage = None

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        if not super().is_reauthentication_required(app=app, **kwargs):
            return False
        from allauth.core import context

        # Someone who has just signed in has just proved who they are; asking for the
        # password again at once (e.g. when staff enrol two-factor at first sign-in)
        # only teaches people to type it without thinking.
        return not signed_in_recently(getattr(context, "request", None))


class MFAAdapter(DefaultMFAAdapter):  # type: ignore[misc]
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": _(
            "Staff accounts must keep two-step verification switched on, because they open "
            "clinical records."
        ),
        "incorrect_code": _(
            "That code did not work. Codes change every 30 seconds and each works only "
            "once; enter the newest one."
        ),
    }

    def can_delete_authenticator(self, authenticator: Any) -> bool:
        from allauth.mfa.models import Authenticator

        user = authenticator.user
        is_staff = getattr(user, "is_staff_member", False)
        return not (is_staff and authenticator.type == Authenticator.Type.TOTP)
