"""The account page: who you are, your password, two-step verification, where you are
signed in, and (for roles that may) your API tokens."""

from __future__ import annotations

from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kindred.accounts import token_selectors
from kindred.accounts.models import User
from kindred.accounts.reauth import sensitive
from kindred.accounts.token_services import api_token_create, api_token_revoke
from kindred.core.errors import KindredError, NotPermitted
from kindred.practice import roles as role_checks
from kindred.practice.roles import Capability
from kindred.web.account.forms import TokenCreateForm
from kindred.web.forms import apply_error


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required ran first
    return user


def _two_factor(user: User) -> dict[str, object]:
    totp = None
    recovery = None
    for auth in Authenticator.objects.filter(user=user):
        if auth.type == Authenticator.Type.TOTP:
            totp = auth
        elif auth.type == Authenticator.Type.RECOVERY_CODES:
            recovery = auth
    return {
        "totp_on": totp is not None,
        "can_remove_totp": totp is not None and get_mfa_adapter().can_delete_authenticator(totp),
        "recovery_unused": len(recovery.wrap().get_unused_codes()) if recovery else None,
    }


def _sessions(user: User) -> dict[str, object]:
    sessions = sorted(UserSession.objects.purge_and_list(user), key=lambda s: s.created_at)
    return {"sessions": sessions, "session_count": len(sessions)}


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    may_tokens = role_checks.has(user, Capability.MANAGE_OWN_TOKENS)
    context: dict[str, object] = {
        "section": "account",
        "may_tokens": may_tokens,
        "tokens": list(token_selectors.api_token_list(actor=user)) if may_tokens else [],
        "now_utc": timezone.now(),
        **_two_factor(user),
        **_sessions(user),
    }
    return render(request, "web/account/account.html", context)


@sensitive
def token_create(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    try:
        choices = token_selectors.token_scope_choices(actor=user)
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    form = TokenCreateForm(request.POST or None, scope_choices=choices)
    if request.method == "POST" and form.is_valid():
        try:
            raw, token = api_token_create(
                actor=user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        except KindredError as exc:
            apply_error(form, exc)
        else:
            # Shown in this response only: the token is not stored anywhere in clear.
            return render(
                request,
                "web/account/token_created.html",
                {"section": "account", "raw_token": raw, "token": token},
            )
    return render(request, "web/account/token_new.html", {"section": "account", "form": form})


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    user = _actor(request)
    token = token_selectors.get_api_token_for(user, token_id)
    try:
        api_token_revoke(actor=user, token=token)
    except KindredError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The token “%(name)s” is revoked: it stops working at once.") % {"name": token.name},
        )
    return redirect(reverse("web:account") + "#tokens")
