"""The providers Kindred ships, and choosing one from the settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from kindred.scheduling.video.base import VideoProvider, VideoRoom, VideoUnavailable

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.scheduling.models import GroupSession

PROVIDER_KEYS = ("jitsi", "external", "none")


class ExternalLinkProvider:
    """Every session of a group meets at the group's fixed link (a Zoom or Teams room
    the practice manages elsewhere). The link is shown only through the Join button,
    inside the join window; the other service decides who gets in."""

    key = "external"

    def room_for(self, session: GroupSession) -> VideoRoom | None:
        link = session.group.external_video_link
        return VideoRoom(name="", url=link) if link else None

    def join_url(self, session: GroupSession, user: User, *, moderator: bool) -> str:
        room = self.room_for(session)
        if room is None:
            raise VideoUnavailable(
                _("This group has no video link yet. Please contact the practice to join today.")
            )
        return room.url


class NoVideoProvider:
    """No video rooms: virtual sessions happen some other way the practice arranges."""

    key = "none"

    def room_for(self, session: GroupSession) -> VideoRoom | None:
        return None

    def join_url(self, session: GroupSession, user: User, *, moderator: bool) -> str:
        raise VideoUnavailable(
            _("Video rooms are not set up here. Your practice will tell you how to join.")
        )


def get_provider() -> VideoProvider:
    """The provider named by ``KINDRED_VIDEO_PROVIDER`` (read on every call, so tests
    and settings changes take effect at once; building one costs nothing)."""
    key = getattr(settings, "KINDRED_VIDEO_PROVIDER", "external")
    if key == "jitsi":
        from kindred.scheduling.video.jitsi import JitsiProvider

        return JitsiProvider.from_settings()
    if key == "external":
        return ExternalLinkProvider()
    if key == "none":
        return NoVideoProvider()
    raise ImproperlyConfigured(
        f"KINDRED_VIDEO_PROVIDER={key!r}: use one of {', '.join(PROVIDER_KEYS)}."
    )
