"""Jitsi Meet rooms with signed (HS256) JWT tokens.

The token follows Jitsi's token format (lib-jitsi-meet, doc/tokens.md) as checked by
Prosody's ``token_verification`` module on a Jitsi server set up with
``authentication = "token"`` and the same ``app_id`` / ``app_secret``:

``iss`` and ``aud``
    the app id (``JITSI_APP_ID``).
``sub``
    the Jitsi domain (``JITSI_DOMAIN``).
``room``
    the one room the token opens; a token for one session never opens another.
``iat``, ``nbf``, ``exp``
    issued now; valid from ten minutes before the start (less a minute of clock skew)
    until fifteen minutes after the end, so a dropped connection can rejoin.
``context.user``
    ``id`` (an opaque id derived from the account, not the account number), ``name``
    (the display name only: no email address, no legal name), ``moderator`` (true for
    the session's facilitators), and the flags the community Prosody plugins read:
    ``affiliation`` ("owner" for facilitators, "member" otherwise: ``token_affiliation``),
    ``lobby`` (true for members: ``token_lobby_ondemand`` turns the room's lobby on and
    puts them in it) and ``lobby_bypass`` (true for facilitators: ``token_lobby_bypass``,
    for servers that use ``lobby_autostart`` instead).

So the lobby is on for every Kindred room: members wait there until a facilitator
admits them. docs/operations.md lists the Prosody modules a server needs for this.

Room names are unguessable: an HMAC of the session id under a key derived from the app
secret, so knowing one room's name says nothing about another's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import jwt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from kindred.scheduling.gate import JOIN_OPENS_BEFORE
from kindred.scheduling.video.base import VideoRoom

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.scheduling.models import GroupSession

#: Clock difference tolerated between Kindred and the Jitsi server.
CLOCK_SKEW = timedelta(minutes=1)
#: How long after the end a token still lets someone (re)join a session running over.
GRACE_AFTER_END = timedelta(minutes=15)
ROOM_PREFIX = "kindred-"


def _derive(secret: str, purpose: str, value: str) -> bytes:
    key = hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).digest()


def video_display_name(user: User) -> str:
    """What other people in the room see: a member's first (or preferred) name and last
    initial; a staff member's full name."""
    client = getattr(user, "client", None) if getattr(user, "is_member", False) else None
    if client is not None:
        first = client.preferred_name or client.legal_first_name
        initial = client.legal_last_name[:1]
        return f"{first} {initial}." if initial else first
    return user.get_full_name() or user.get_short_name()


class JitsiProvider:
    key = "jitsi"

    def __init__(self, *, domain: str, app_id: str, app_secret: str) -> None:
        if not (domain and app_id and app_secret):
            raise ImproperlyConfigured(
                "KINDRED_VIDEO_PROVIDER=jitsi needs JITSI_DOMAIN, JITSI_APP_ID and "
                "JITSI_APP_SECRET (or JITSI_APP_SECRET_FILE)."
            )
        if len(app_secret) < 32:
            raise ImproperlyConfigured("JITSI_APP_SECRET must be at least 32 characters.")
        self.domain = domain.strip().strip("/").lower()
        self.app_id = app_id
        self._secret = app_secret

    @classmethod
    def from_settings(cls) -> JitsiProvider:
        return cls(
            domain=getattr(settings, "JITSI_DOMAIN", ""),
            app_id=getattr(settings, "JITSI_APP_ID", ""),
            app_secret=getattr(settings, "JITSI_APP_SECRET", ""),
        )

    def room_name(self, session_id: int) -> str:
        digest = _derive(self._secret, "kindred.video.room", str(session_id))
        return ROOM_PREFIX + base64.b32encode(digest[:20]).decode().lower().rstrip("=")

    def room_for(self, session: GroupSession) -> VideoRoom:
        name = self.room_name(session.pk)
        return VideoRoom(name=name, url=f"https://{self.domain}/{name}")

    def claims(
        self,
        session: GroupSession,
        user: User,
        *,
        moderator: bool,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        now = now or timezone.now()
        return {
            "iss": self.app_id,
            "aud": self.app_id,
            "sub": self.domain,
            "room": self.room_name(session.pk),
            "iat": int(now.timestamp()),
            "nbf": int((session.starts_at - JOIN_OPENS_BEFORE - CLOCK_SKEW).timestamp()),
            "exp": int((session.ends_at + GRACE_AFTER_END).timestamp()),
            "context": {
                "user": {
                    "id": _derive(self._secret, "kindred.video.user", str(user.pk)).hex()[:24],
                    "name": video_display_name(user),
                    "moderator": moderator,
                    "affiliation": "owner" if moderator else "member",
                    "lobby": not moderator,
                    "lobby_bypass": moderator,
                }
            },
        }

    def token(
        self,
        session: GroupSession,
        user: User,
        *,
        moderator: bool,
        now: datetime | None = None,
    ) -> str:
        payload = self.claims(session, user, moderator=moderator, now=now)
        return jwt.encode(payload, self._secret, algorithm="HS256")

    def join_url(self, session: GroupSession, user: User, *, moderator: bool) -> str:
        url = self.room_for(session).url
        return f"{url}?jwt={self.token(session, user, moderator=moderator)}"
