"""Ending a person's sessions and API tokens at once (SECURITY.md, "Automatic logoff":
logout and account disable kill sessions and tokens at once).

| Event                              | Other sessions | This session   | API tokens  |
|------------------------------------|----------------|----------------|-------------|
| Sign-out (the person clicks it)    | end            | ends           | kept (1)    |
| Idle or 12-hour time-out           | kept           | ends           | kept        |
| Password changed by its owner      | end            | ends (allauth) | revoked     |
| Password set from a reset link     | end            | -              | revoked     |
| Account switched off (services.py) | end            | end            | revoked     |

(1) revoked too when ``KINDRED_SIGN_OUT_REVOKES_TOKENS = True``.

Why sign-out does not revoke tokens by default: a token belongs to an integration, not
to a browser; revoking every token whenever its owner signs out would stop each
integration the first time its owner went home. A practice that wants that sets
``KINDRED_SIGN_OUT_REVOKES_TOKENS = True``. Changing the password or switching the
account off (what one does when an account may be compromised) always revokes them.

Sessions are found through allauth's usersessions table (one row per signed-in
session); ending one deletes it from Django's session store, so the next request with
that cookie is anonymous. Django's session-hash check is a second line for password
changes: a session made before the change no longer validates either way.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from kindred.accounts.models import ApiToken, User
from kindred.audit.models import Category
from kindred.audit.services import audit_record


def end_sessions(user: User, *, keep_session_key: str | None = None) -> int:
    """End every signed-in session of ``user`` except ``keep_session_key``."""
    from allauth.usersessions.models import UserSession

    ended = 0
    for session in UserSession.objects.filter(user=user):
        if keep_session_key and session.session_key == keep_session_key:
            continue
        session.end()
        ended += 1
    return ended


def revoke_tokens(user: User) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def revoke_everything(
    *,
    user: User,
    reason: str,
    actor: User | None = None,
    tokens: bool = True,
    keep_session_key: str | None = None,
) -> dict[str, Any]:
    """End ``user``'s sessions (all but ``keep_session_key``) and, with ``tokens``, revoke
    their API tokens; one audit event says how many and why."""
    with transaction.atomic():
        sessions = end_sessions(user, keep_session_key=keep_session_key)
        revoked = revoke_tokens(user) if tokens else 0
        detail = {"reason": reason, "sessions": sessions, "tokens": revoked}
        audit_record(
            actor=actor,
            action="accounts.session.revoked",
            category=Category.AUTH,
            obj=user,
            detail=detail,
        )
    return detail


def _session_key(request: HttpRequest | None) -> str | None:
    session = getattr(request, "session", None)
    return getattr(session, "session_key", None)


def on_signed_out(
    sender: Any, request: HttpRequest | None = None, user: User | None = None, **kwargs: Any
) -> None:
    from kindred.accounts.middleware import SIGNOUT_REASON_ATTR

    timed_out = bool(getattr(request, SIGNOUT_REASON_ATTR, None))
    if not isinstance(user, User) or timed_out:
        return  # nobody was signed in, or a time-out (only that session ends)
    # Every session, this one included (Django flushes it next anyway).
    revoke_everything(
        user=user,
        actor=user,
        reason="signed_out",
        tokens=bool(getattr(settings, "KINDRED_SIGN_OUT_REVOKES_TOKENS", False)),
    )


def on_password_changed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    # allauth then signs this browser out too (ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE).
    revoke_everything(
        user=user, actor=user, reason="password_changed", keep_session_key=_session_key(request)
    )


def on_password_reset(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    revoke_everything(user=user, actor=None, reason="password_reset")


def connect() -> None:
    from allauth.account import signals as account_signals
    from django.contrib.auth import signals as auth_signals

    for signal, receiver in (
        (auth_signals.user_logged_out, on_signed_out),
        (account_signals.password_changed, on_password_changed),
        (account_signals.password_reset, on_password_reset),
    ):
        signal.connect(receiver, dispatch_uid=f"kindred.revocation.{receiver.__name__}")
