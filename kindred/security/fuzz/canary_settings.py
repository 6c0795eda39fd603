"""The deliberately broken variant for sqlmap: the live settings with a URL configuration
that adds views building SQL by string concatenation (canary_urls.py). Served only by the
fuzz CLI and its test, on 127.0.0.1, against a throwaway database."""

from kindred.security.fuzz.live_settings import *  # noqa: F403

ROOT_URLCONF = "kindred.security.fuzz.canary_urls"
