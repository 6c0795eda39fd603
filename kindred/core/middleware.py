"""Cross-cutting middleware: request ids, no-store caching, database outages."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from kindred.core import context

log = logging.getLogger(__name__)

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip(request: HttpRequest) -> str | None:
    # Behind a reverse proxy the proxy must set REMOTE_ADDR correctly (see operations.md);
    # X-Forwarded-For is client-controlled and never trusted here.
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Gives every request an id (honouring a well-formed ``X-Request-ID``) and makes the
    id, IP and user agent available to the audit log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        via = "api" if request.path.startswith(("/api/", "/fhir/")) else "web"
        token = context.set_current(
            context.RequestContext(
                request_id=request_id,
                ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", "")[:300],
                via=via,
            )
        )
        request.request_id = request_id  # type: ignore[attr-defined]
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response


class DatabaseUnavailableMiddleware:
    """A database outage answers 503 with Retry-After instead of a 500."""

    retry_after_seconds = 5

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        except (OperationalError, InterfaceError) as exc:
            return self._unavailable(request, exc)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, (OperationalError, InterfaceError)):
            return self._unavailable(request, exc)
        return None

    def _unavailable(self, request: HttpRequest, exc: Exception) -> HttpResponse:
        log.error("database unavailable: %s", exc)
        if request.path.startswith(("/api/", "/fhir/")):
            response = HttpResponse(
                b'{"detail": "The service is briefly unavailable. Please try again."}',
                status=503,
                content_type="application/json",
            )
        else:
            body = render_to_string("503.html", {})
            response = HttpResponse(body, status=503)
        response["Retry-After"] = str(self.retry_after_seconds)
        return response
