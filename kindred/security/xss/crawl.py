"""A bounded, same-origin crawl of the pages one signed-in person can reach.

It starts at the home page, follows what a browser could follow from each answer (links,
htmx ``hx-get`` requests, GET forms) and GETs each new address with the test client, in
process: no server, no network. GET forms are also submitted once with payloads in every
text box, so a page that echoes its query string is checked too. Bounds: a number of
pages, a number of addresses of the same shape (``/clients/#/`` for every client), and a
wall-clock budget. Never followed: sign-out, static files, the API and FHIR (JSON, checked
as data elsewhere) and the benchmark routes.
"""

from __future__ import annotations

import re
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode, urljoin, urlsplit

from django.test import Client as HttpClient
from django.urls import Resolver404, resolve

SKIP_PREFIXES = ("/accounts/logout", "/static/", "/media/", "/api/", "/fhir/", "/bench/")
_NUMBER = re.compile(r"\d+")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TOKEN = re.compile(r"/[A-Za-z0-9_\-]{20,}")


@dataclass(frozen=True)
class Request:
    url: str
    fragment: bool = False  # an htmx request (HX-Request: true)


@dataclass
class Limits:
    pages: int
    per_shape: int
    seconds: float


@dataclass
class Outlinks:
    links: list[Request] = field(default_factory=list)
    get_forms: list[tuple[str, list[str]]] = field(default_factory=list)  # action, text inputs


@dataclass
class Visit:
    request: Request
    status: int
    content_type: str
    view: str
    body: str = ""
    # Set by the caller while it holds the visit (it parses each page once, for links
    # and injections alike); read when the crawl resumes.
    outlinks: Outlinks | None = None


def shape(url: str) -> str:
    parts = urlsplit(url)
    path = _NUMBER.sub("#", _TOKEN.sub("/~", _UUID.sub("~", parts.path)))
    keys = sorted({pair.split("=", 1)[0] for pair in parts.query.split("&") if pair})
    return path + ("?" + "&".join(keys) if keys else "")


def view_name(url: str) -> str:
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return ""
    return match.view_name


def _followable(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "testserver"):
        return None
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith(SKIP_PREFIXES):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def crawl(
    http: HttpClient,
    starts: list[str],
    limits: Limits,
    *,
    reflect: Callable[[str], str] | None = None,
) -> Iterator[Visit]:
    """Visit pages breadth first, following the ``outlinks`` the caller set on each
    visit; ``reflect(name)`` gives the payload for a GET form's text box (None: forms are
    not submitted)."""
    http.raise_request_exception = False
    queue: deque[Request] = deque(Request(url) for url in starts)
    done: set[Request] = set()
    shapes: Counter[str] = Counter()
    forms: set[str] = set()
    deadline = time.monotonic() + limits.seconds
    pages = 0
    while queue and pages < limits.pages and time.monotonic() < deadline:
        request = queue.popleft()
        url = _followable(request.url)
        if url is None:
            continue
        request = Request(url, request.fragment)
        key = shape(url) + (" hx" if request.fragment else "")
        if request in done or shapes[key] >= limits.per_shape:
            continue
        done.add(request)
        shapes[key] += 1
        pages += 1
        headers = {"HX-Request": "true"} if request.fragment else {}
        response = http.get(url, headers=headers)
        visit = Visit(
            request=request,
            status=response.status_code,
            content_type=response.get("Content-Type", ""),
            view=view_name(url),
        )
        if response.status_code in (301, 302, 303, 307, 308):
            queue.append(Request(urljoin(url, response["Location"])))
            yield visit
            continue
        if not getattr(response, "streaming", False):
            visit.body = response.content.decode(response.charset or "utf-8", "replace")
        yield visit
        found = visit.outlinks
        if found is None:
            continue
        for link in found.links:
            queue.append(Request(urljoin(url, link.url), link.fragment))
        if reflect is None:
            continue
        for action, names in found.get_forms:
            target = _followable(urljoin(url, action or url))
            if target is None or not names or shape(target) in forms:
                continue
            forms.add(shape(target))
            query = urlencode({name: reflect(name) for name in names})
            queue.append(Request(target.split("?", 1)[0] + "?" + query))
