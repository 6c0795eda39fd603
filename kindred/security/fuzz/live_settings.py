"""Settings of the live server the fuzz CLI starts: Kindred's own, plus the middleware
that records which query parameters the views read (recorder.py). Test-only: it is never
a deployment's settings module."""

from kindred.settings import *  # noqa: F403

MIDDLEWARE = [*MIDDLEWARE, "kindred.security.fuzz.recorder.QueryReadRecorder"]  # noqa: F405
