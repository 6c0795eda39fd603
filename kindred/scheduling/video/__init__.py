"""Video rooms for virtual sessions, behind one small interface.

``get_provider()`` returns the provider the deployment is configured for
(``KINDRED_VIDEO_PROVIDER``: ``jitsi``, ``external`` or ``none``; docs/operations.md).
Join addresses are made on demand, when someone presses Join inside the join window;
they are never stored and never emailed.
"""

from __future__ import annotations

from kindred.scheduling.video.base import VideoProvider, VideoRoom, VideoUnavailable
from kindred.scheduling.video.providers import (
    ExternalLinkProvider,
    NoVideoProvider,
    get_provider,
)

__all__ = [
    "ExternalLinkProvider",
    "NoVideoProvider",
    "VideoProvider",
    "VideoRoom",
    "VideoUnavailable",
    "get_provider",
]
