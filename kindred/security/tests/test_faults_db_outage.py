"""A database outage answers 503 with Retry-After wherever the failed query is made: in
the view, or in a middleware that runs before it (the session, the signed-in user, the
API token behind an Idempotency-Key, the idle time-out...). The fault run
(``python -m kindred.security.faults``) crashes a real PostgreSQL under load; here the
failing query is a stand-in middleware or view raising ``OperationalError`` as
psycopg's does when the server is gone."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import path

OUTAGE = "connection to server at 127.0.0.1, port 5432 failed: Connection refused"
_raised: list[type[Exception]] = [OperationalError]


class DatabaseGoneMiddleware:
    """Any middleware whose query fails because the database is down."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.endswith("/gone/") or request.path.startswith("/api/"):
            raise _raised[0](OUTAGE)
        return self.get_response(request)


def database_gone_view(request: HttpRequest) -> HttpResponse:
    raise OperationalError(OUTAGE)


urlpatterns = [
    path("view-gone/", database_gone_view),
    path("page/gone/", database_gone_view),
    path("api/v1/gone/", database_gone_view),
]

GONE = f"{__name__}.DatabaseGoneMiddleware"
OUTAGE_MW = "kindred.core.middleware.DatabaseUnavailableMiddleware"


def _stack(after: str) -> list[str]:
    """settings.MIDDLEWARE with the failing middleware right after ``after``."""
    stack = list(settings.MIDDLEWARE)
    at = stack.index(after) + 1
    return [*stack[:at], GONE, *stack[at:]]


def _get(url: str) -> HttpResponse:
    return HttpClient(raise_request_exception=False).get(url)  # type: ignore[return-value]


@pytest.mark.parametrize(
    "after",
    [
        OUTAGE_MW,
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "kindred.api.idempotency.IdempotencyMiddleware",
        "axes.middleware.AxesMiddleware",
    ],
)
@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_an_outage_met_in_a_middleware_answers_503_with_retry_after(db, after, error):
    _raised[0] = error
    try:
        with override_settings(MIDDLEWARE=_stack(after), ROOT_URLCONF=__name__):
            page = _get("/page/gone/")
            api = _get("/api/v1/gone/")
    finally:
        _raised[0] = OperationalError
    assert page.status_code == 503
    assert page["Retry-After"] == "5"
    assert api.status_code == 503
    assert api["Retry-After"] == "5"
    assert api["Content-Type"] == "application/json"


def test_an_outage_met_in_the_view_answers_503(db):
    with override_settings(ROOT_URLCONF=__name__):
        response = _get("/view-gone/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"


def test_other_server_errors_stay_500(db):
    """Only database outages become 503: a bug is still a 500."""

    class Boom(Exception):
        pass

    _raised[0] = Boom
    try:
        with override_settings(MIDDLEWARE=_stack(OUTAGE_MW), ROOT_URLCONF=__name__):
            response = _get("/page/gone/")
    finally:
        _raised[0] = OperationalError
    assert response.status_code == 500


def test_broken_variant_a_failing_middleware_outside_the_outage_handler_is_caught(db):
    """Placed before DatabaseUnavailableMiddleware (outside it), the outage is a 500:
    the check above would fail for such a stack."""
    stack = list(settings.MIDDLEWARE)
    at = stack.index(OUTAGE_MW)
    broken = [*stack[:at], GONE, *stack[at:]]
    with override_settings(MIDDLEWARE=broken, ROOT_URLCONF=__name__):
        response = _get("/page/gone/")
    assert response.status_code == 500
