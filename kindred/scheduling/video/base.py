"""The interface every video provider implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from kindred.core.errors import InvalidState

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.scheduling.models import GroupSession


class VideoUnavailable(InvalidState):
    """This session has no video room (no provider configured, or no link set)."""


@dataclass(frozen=True, slots=True)
class VideoRoom:
    #: The room's name at the provider ("" when the provider has no notion of one).
    name: str
    #: The room's address without anyone's credentials in it.
    url: str


class VideoProvider(Protocol):
    #: The settings value that selects this provider.
    key: str

    def room_for(self, session: GroupSession) -> VideoRoom | None:
        """The session's room, or None when it has none."""
        ...

    def join_url(self, session: GroupSession, user: User, *, moderator: bool) -> str:
        """The address ``user`` opens to enter the room now. ``moderator`` gives
        facilitator rights (admitting people from the lobby, muting, ending).
        Raises ``VideoUnavailable`` when the session has no room."""
        ...
