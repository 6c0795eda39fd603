"""Audit events for sign-in and account security, from allauth's, Django's and axes'
signals. Recording an audit event is the only thing these receivers do.

Action codes (category AUTH):
  accounts.session.signed_in       a completed sign-in (after two-factor, when enrolled)
  accounts.session.sign_in_failed  a password not accepted (wrong, unknown or switched-off
                                   account: "not_accepted"), or an attempt refused during a
                                   lock-out ("locked_out")
  accounts.session.signed_out      sign-out, idle or 12-hour time-out (detail.reason)
  accounts.session.locked_out      too many failures: an account or address is locked
  accounts.password.reset_done     a password set from a reset link
  accounts.password.changed        a password changed by its owner
  accounts.mfa.enrolled            an authenticator app added
  accounts.mfa.removed             an authenticator removed
  accounts.mfa.recovery_codes_generated
  accounts.mfa.recovery_code_used
  accounts.mfa.code_rejected       a wrong two-factor code
(``accounts.password.reset_requested`` and ``accounts.session.inactive_refused`` - the
right password for a switched-off account - are recorded by the account adapter: allauth
has no signal for them.)

``detail`` never holds a password or a code: the email typed (only when it is an email
address, so a password typed into the wrong box is never kept), reasons and types.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from django.urls import reverse

from kindred.accounts.models import User
from kindred.audit.models import Category
from kindred.audit.services import audit_record

SIGNOUT_REASONS = {"idle_timeout", "absolute_timeout"}


def _typed_email(value: object) -> str:
    text = str(value or "").strip().lower()[:254]
    try:
        validate_email(text)
    except ValidationError:
        return ""
    return text


def _user_with_email(email: str) -> User | None:
    if not email:
        return None
    return User.objects.filter(email__iexact=email).first()


def _actor(request: HttpRequest | None) -> User | None:
    user = getattr(request, "user", None)
    if isinstance(user, User) and user.is_authenticated:
        return user
    return None


def on_signed_in(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    from allauth.account.internal.flows.login import get_authentication_records

    methods = sorted({str(r.get("method")) for r in get_authentication_records(request, user)})
    audit_record(
        actor=user,
        action="accounts.session.signed_in",
        category=Category.AUTH,
        obj=user,
        detail={"methods": methods},
    )


def on_sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    from kindred.accounts.lockout import username_from_request

    email = _typed_email(username_from_request(request, credentials))
    refused = bool(
        request is not None
        and getattr(request, "axes_locked_out", False)
        and getattr(request, "axes_failures_since_start", None) is None
    )
    detail: dict[str, Any] = {
        "email": email,
        "reason": "locked_out" if refused else "not_accepted",
    }
    if request is not None and request.path == reverse("account_reauthenticate"):
        detail["step"] = "reauthenticate"
    audit_record(
        actor=_actor(request),
        action="accounts.session.sign_in_failed",
        category=Category.AUTH,
        obj=_user_with_email(email),
        detail=detail,
    )


def on_signed_out(
    sender: Any, request: HttpRequest | None = None, user: User | None = None, **kwargs: Any
) -> None:
    if user is None:
        return
    from kindred.accounts.middleware import SIGNOUT_REASON_ATTR

    reason = getattr(request, SIGNOUT_REASON_ATTR, "")
    audit_record(
        actor=user,
        action="accounts.session.signed_out",
        category=Category.AUTH,
        obj=user,
        detail={"reason": reason if reason in SIGNOUT_REASONS else "signed_out"},
    )


def on_locked_out(
    sender: Any,
    request: HttpRequest | None = None,
    username: str | None = None,
    ip_address: str | None = None,
    **kwargs: Any,
) -> None:
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is None:
        # An attempt refused during a lock-out: recorded as a failed sign-in already.
        return
    email = _typed_email(username)
    audit_record(
        actor=None,
        action="accounts.session.locked_out",
        category=Category.AUTH,
        obj=_user_with_email(email),
        detail={"email": email, "failures": int(failures)},
    )


def on_password_reset(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    audit_record(
        actor=_actor(request),
        action="accounts.password.reset_done",
        category=Category.AUTH,
        obj=user,
    )


def on_password_changed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    audit_record(actor=user, action="accounts.password.changed", category=Category.AUTH, obj=user)


def _mfa_event(action: str, request: HttpRequest | None, user: User, kind: str) -> None:
    audit_record(
        actor=_actor(request) or user,
        action=action,
        category=Category.AUTH,
        obj=user,
        detail={"type": kind},
    )


def on_authenticator_added(
    sender: Any, request: HttpRequest, user: User, authenticator: Any, **kwargs: Any
) -> None:
    kind = str(authenticator.type)
    if kind == "recovery_codes":
        _mfa_event("accounts.mfa.recovery_codes_generated", request, user, kind)
    else:
        _mfa_event("accounts.mfa.enrolled", request, user, kind)


def on_authenticator_reset(
    sender: Any, request: HttpRequest, user: User, authenticator: Any, **kwargs: Any
) -> None:
    _mfa_event("accounts.mfa.recovery_codes_generated", request, user, str(authenticator.type))


def on_authenticator_removed(
    sender: Any, request: HttpRequest, user: User, authenticator: Any, **kwargs: Any
) -> None:
    _mfa_event("accounts.mfa.removed", request, user, str(authenticator.type))


def on_authenticator_used(
    sender: Any, request: HttpRequest, user: User, authenticator: Any, **kwargs: Any
) -> None:
    if str(authenticator.type) == "recovery_codes":
        audit_record(
            actor=None,
            action="accounts.mfa.recovery_code_used",
            category=Category.AUTH,
            obj=user,
            detail={"reauthentication": bool(kwargs.get("reauthenticated"))},
        )


def on_mfa_failed(
    sender: Any, request: HttpRequest, user: User, authenticator: Any, **kwargs: Any
) -> None:
    audit_record(
        actor=_actor(request),
        action="accounts.mfa.code_rejected",
        category=Category.AUTH,
        obj=user,
        detail={
            "type": str(authenticator.type),
            "reauthentication": bool(kwargs.get("reauthentication")),
        },
    )


def connect() -> None:
    """Called once from AccountsConfig.ready()."""
    from allauth.account import signals as account_signals
    from allauth.mfa import signals as mfa_signals
    from axes.signals import user_locked_out
    from django.contrib.auth import signals as auth_signals

    pairs = [
        (account_signals.user_logged_in, on_signed_in),
        (auth_signals.user_login_failed, on_sign_in_failed),
        (auth_signals.user_logged_out, on_signed_out),
        (user_locked_out, on_locked_out),
        (account_signals.password_reset, on_password_reset),
        (account_signals.password_changed, on_password_changed),
        (mfa_signals.authenticator_added, on_authenticator_added),
        (mfa_signals.authenticator_reset, on_authenticator_reset),
        (mfa_signals.authenticator_removed, on_authenticator_removed),
        (mfa_signals.authenticator_used, on_authenticator_used),
        (mfa_signals.authentication_failed, on_mfa_failed),
    ]
    for signal, receiver in pairs:
        signal.connect(receiver, dispatch_uid=f"kindred.audit.{receiver.__name__}")
