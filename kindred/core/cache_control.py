"""``Cache-Control: no-store`` on everything Kindred answers, unless the view is listed as
cacheable (SECURITY.md "Input": no-store on clinical pages).

Why everything and not only "clinical" pages: which page shows clinical data depends on
who is signed in, and a page forgotten in a list would be kept by a shared browser or
proxy. So the default is no-store plus ``Pragma: no-cache`` (for HTTP/1.0 caches) on
every page, every /api/ and /fhir/ answer, redirects and error pages included. A view
may opt into caching only by being named in ``CACHEABLE_VIEWS`` below (reviewed in code
review, checked by kindred/core/tests/test_cache_control.py): then the ``Cache-Control``
the view sets itself is kept. Today that is the public group directory (pages and API),
which holds no personal data and sets ``public, max-age=300`` only where that is safe.
The crisis "help" page stays no-store: its numbers must never be stale.

Even a listed view is overridden to no-store when its answer sets a cookie (a cached
Set-Cookie would hand one visitor's cookie to the next). Static files are served by
WhiteNoise before this middleware and keep their long-lived caching.

This replaces ``kindred.core.middleware.NoStoreMiddleware`` (which only filled in a
missing header and let any view cache anything), placed right after WhiteNoise so that
responses produced by other middleware (sign-in redirects, lockouts, 503s) are covered.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

NO_STORE = "no-store"
MIDDLEWARE_PATH = "kindred.core.cache_control.CacheControlMiddleware"
REPLACES = "kindred.core.middleware.NoStoreMiddleware"

# Views whose own Cache-Control is kept. Each must be reachable without signing in and
# hold no personal data.
CACHEABLE_VIEWS = frozenset(
    {
        "web:directory",  # /find-a-group/ (public only to visitors not signed in)
        "web:directory_group",  # /find-a-group/<slug>/
        "api:v1:directory_groups",  # /api/v1/directory/groups/
        "api:v1:directory_group",  # /api/v1/directory/groups/<slug>/
    }
)


def view_name_of(request: HttpRequest) -> str | None:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else None


def may_cache(view_name: str | None) -> bool:
    return view_name in CACHEABLE_VIEWS


def decide(view_name: str | None, current: str | None, sets_cookie: bool) -> str:
    """The Cache-Control header the answer leaves with."""
    if may_cache(view_name) and current and not sets_cookie:
        return current
    if current and NO_STORE in [d.strip().lower() for d in current.split(",")]:
        return current  # already no-store (e.g. never_cache's longer form)
    return NO_STORE


class CacheControlMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        header = decide(
            view_name_of(request),
            response.get("Cache-Control"),
            sets_cookie=bool(response.cookies),
        )
        response["Cache-Control"] = header
        if NO_STORE in header:
            response["Pragma"] = "no-cache"
            if "Expires" in response:
                del response["Expires"]
        return response


def middleware_with_cache_control() -> list[str]:
    """settings.MIDDLEWARE with this middleware right after WhiteNoise and without the
    older NoStoreMiddleware (for tests until settings.py lists it)."""
    stack = [m for m in settings.MIDDLEWARE if m not in (MIDDLEWARE_PATH, REPLACES)]
    anchor = "whitenoise.middleware.WhiteNoiseMiddleware"
    at = stack.index(anchor) + 1 if anchor in stack else 0
    return [*stack[:at], MIDDLEWARE_PATH, *stack[at:]]
