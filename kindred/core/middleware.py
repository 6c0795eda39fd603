"""Cross-cutting middleware: request ids, no-store caching, database outages."""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import Callable
from typing import Any

from django.core.signals import got_request_exception
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


_OUTAGE = "_kindred_database_outage"


def _note_database_outage(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Django turns an exception raised in a middleware into a 500 right where it is
    raised, so it never reaches ``DatabaseUnavailableMiddleware``; this receiver of
    ``got_request_exception`` (sent while the exception is handled) marks the request
    instead, and the middleware turns that 500 into the 503."""
    exc = sys.exc_info()[1]
    if request is not None and isinstance(exc, (OperationalError, InterfaceError)):
        setattr(request, _OUTAGE, exc)


got_request_exception.connect(_note_database_outage, dispatch_uid="kindred.database_outage")


class DatabaseUnavailableMiddleware:
    """A database outage answers 503 with Retry-After instead of a 500, whether the
    failed query was in the view or in a middleware after this one (the session, the
    signed-in user, an API token, an Idempotency-Key)."""

    retry_after_seconds = 5

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        except (OperationalError, InterfaceError) as exc:
            return self._unavailable(request, exc)
        outage = getattr(request, _OUTAGE, None)
        if outage is not None and response.status_code >= 500:
            return self._unavailable(request, outage)
        return response

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
