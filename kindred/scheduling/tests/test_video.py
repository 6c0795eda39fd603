"""Video providers: Jitsi rooms and tokens (every claim checked), the fixed external
link, no video, and choosing one from the settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from kindred.scheduling.models import GroupSession
from kindred.scheduling.video import (
    ExternalLinkProvider,
    NoVideoProvider,
    VideoUnavailable,
    get_provider,
)
from kindred.scheduling.video.jitsi import JitsiProvider

SECRET = "a-jitsi-app-secret-that-is-long-enough-0123456789"
APP_ID = "kindred_test_app"
DOMAIN = "meet.example.test"


@pytest.fixture
def jitsi(settings) -> JitsiProvider:
    settings.KINDRED_VIDEO_PROVIDER = "jitsi"
    settings.JITSI_DOMAIN = DOMAIN
    settings.JITSI_APP_ID = APP_ID
    settings.JITSI_APP_SECRET = SECRET
    provider = get_provider()
    assert isinstance(provider, JitsiProvider)
    return provider


def future_sessions(group) -> list[GroupSession]:
    return list(
        GroupSession.objects.filter(group=group, starts_at__gt=timezone.now())
        .select_related("group")
        .order_by("starts_at")
    )


def decode(token: str) -> dict[str, Any]:
    return jwt.decode(
        token,
        SECRET,
        algorithms=["HS256"],
        audience=APP_ID,
        issuer=APP_ID,
        options={"require": ["exp", "nbf", "iat", "aud", "iss", "sub", "room"]},
    )


def test_a_member_token_carries_every_claim_jitsi_needs(cast, jitsi):
    session = future_sessions(cast.group_a)[1]
    with time_machine.travel(session.starts_at - timedelta(minutes=5), tick=False):
        url = jitsi.join_url(session, cast.member, moderator=False)
        room = jitsi.room_for(session)
        assert url.startswith(f"https://{DOMAIN}/{room.name}?jwt=")
        claims = decode(url.split("?jwt=", 1)[1])
        now = int(timezone.now().timestamp())
    assert claims["iss"] == APP_ID
    assert claims["aud"] == APP_ID
    assert claims["sub"] == DOMAIN
    assert claims["room"] == room.name
    assert claims["iat"] == now
    assert claims["nbf"] == int((session.starts_at - timedelta(minutes=11)).timestamp())
    assert claims["exp"] == int((session.ends_at + timedelta(minutes=15)).timestamp())
    user = claims["context"]["user"]
    # A display name only: first name and last initial, no email, no legal surname.
    assert user["name"] == "Avery M."
    assert "email" not in user
    assert user["moderator"] is False
    assert user["affiliation"] == "member"
    # Members wait in the lobby until a facilitator admits them.
    assert user["lobby"] is True
    assert user["lobby_bypass"] is False
    assert str(cast.member.pk) != user["id"]
    assert len(user["id"]) == 24
    assert set(claims) == {"iss", "aud", "sub", "room", "iat", "nbf", "exp", "context"}


def test_a_facilitator_token_has_moderator_rights_and_skips_the_lobby(cast, jitsi):
    session = future_sessions(cast.group_a)[1]
    with time_machine.travel(session.starts_at, tick=False):
        claims = decode(jitsi.token(session, cast.facilitator, moderator=True))
    user = claims["context"]["user"]
    assert user["name"] == "Fern Facilitator"
    assert user["moderator"] is True
    assert user["affiliation"] == "owner"
    assert user["lobby_bypass"] is True
    assert user["lobby"] is False


def test_a_token_signed_with_another_secret_is_rejected(cast, jitsi):
    session = future_sessions(cast.group_a)[1]
    with time_machine.travel(session.starts_at, tick=False):
        token = jitsi.token(session, cast.member, moderator=False)
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(token, SECRET + "x", algorithms=["HS256"], audience=APP_ID)


def test_a_token_is_not_valid_before_the_window_or_long_after_the_end(cast, jitsi):
    session = future_sessions(cast.group_a)[1]
    token = jitsi.token(session, cast.member, moderator=False)
    early = time_machine.travel(session.starts_at - timedelta(minutes=30), tick=False)
    with early, pytest.raises(jwt.ImmatureSignatureError):
        decode(token)
    late = time_machine.travel(session.ends_at + timedelta(minutes=20), tick=False)
    with late, pytest.raises(jwt.ExpiredSignatureError):
        decode(token)


def test_room_names_are_unguessable_and_stable(cast, jitsi, settings):
    first, second = future_sessions(cast.group_a)[:2]
    a, b = jitsi.room_for(first).name, jitsi.room_for(second).name
    assert isinstance(get_provider(), JitsiProvider)
    assert a != b
    assert a == jitsi.room_for(first).name  # the same session keeps its room
    assert a.startswith("kindred-")
    assert len(a) >= len("kindred-") + 32  # 160 bits
    assert str(first.pk) not in a.removeprefix("kindred-")
    settings.JITSI_APP_SECRET = SECRET.upper()
    assert JitsiProvider.from_settings().room_for(first).name != a  # derived from the secret


@pytest.mark.parametrize(
    ("domain", "app_id", "secret"),
    [("", APP_ID, SECRET), (DOMAIN, "", SECRET), (DOMAIN, APP_ID, ""), (DOMAIN, APP_ID, "short")],
)
def test_jitsi_needs_its_settings(settings, domain, app_id, secret):
    settings.KINDRED_VIDEO_PROVIDER = "jitsi"
    settings.JITSI_DOMAIN, settings.JITSI_APP_ID, settings.JITSI_APP_SECRET = domain, app_id, secret
    with pytest.raises(ImproperlyConfigured):
        get_provider()


def test_an_unknown_provider_is_a_configuration_error(settings):
    settings.KINDRED_VIDEO_PROVIDER = "zoom"
    with pytest.raises(ImproperlyConfigured, match="KINDRED_VIDEO_PROVIDER"):
        get_provider()


def test_the_external_provider_uses_the_groups_link(cast, settings):
    settings.KINDRED_VIDEO_PROVIDER = "external"
    provider = get_provider()
    assert isinstance(provider, ExternalLinkProvider)
    session = future_sessions(cast.group_a)[0]
    session.group.external_video_link = "https://video.example.test/room/steady"
    room = provider.room_for(session)
    assert room is not None
    assert room.url == "https://video.example.test/room/steady"
    assert (
        provider.join_url(session, cast.member, moderator=False)
        == "https://video.example.test/room/steady"
    )
    session.group.external_video_link = ""
    assert provider.room_for(session) is None
    with pytest.raises(VideoUnavailable):
        provider.join_url(session, cast.member, moderator=False)


def test_no_video_provider_has_no_rooms(cast, settings):
    settings.KINDRED_VIDEO_PROVIDER = "none"
    provider = get_provider()
    assert isinstance(provider, NoVideoProvider)
    session = future_sessions(cast.group_a)[0]
    assert provider.room_for(session) is None
    with pytest.raises(VideoUnavailable):
        provider.join_url(session, cast.facilitator, moderator=True)
