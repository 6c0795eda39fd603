"""Sign-in throttling with django-axes: after 10 failures in a row for one account or one
IP address, further attempts are refused with 429 and Retry-After. The wait grows with
each further lock-out of the same account or address (1, 2, 4, ... up to 60 minutes)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

BASE_COOLOFF = timedelta(minutes=1)
MAX_COOLOFF = timedelta(minutes=60)


def username_from_request(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """allauth signs in by email; axes must count failures per email, lower-cased."""
    value = ""
    if credentials:
        value = (
            credentials.get("email") or credentials.get("login") or credentials.get("username", "")
        )
    if not value and request.method == "POST":
        value = request.POST.get("login", "") or request.POST.get("email", "")
    return str(value).strip().lower()[:254]


def cooloff_time(request: HttpRequest | None) -> timedelta:
    from axes.models import AccessAttempt

    if request is None:
        return BASE_COOLOFF
    from django.conf import settings

    ip = request.META.get("REMOTE_ADDR", "")
    username = username_from_request(request, None)
    failures = 0
    for attempt in AccessAttempt.objects.filter(ip_address=ip).only("failures_since_start"):
        failures = max(failures, attempt.failures_since_start)
    if username:
        for attempt in AccessAttempt.objects.filter(username=username).only("failures_since_start"):
            failures = max(failures, attempt.failures_since_start)
    lockouts = max(0, failures // settings.AXES_FAILURE_LIMIT - 1)
    wait: timedelta = min(BASE_COOLOFF * (2**lockouts), MAX_COOLOFF)
    return wait


def lockout_response(
    request: HttpRequest, response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    wait = cooloff_time(request)
    minutes = max(1, int(wait.total_seconds() // 60))
    if request.path.startswith("/api/"):
        resp = HttpResponse(
            b'{"detail": "Too many failed sign-in attempts. Try again later."}',
            status=429,
            content_type="application/json",
        )
    else:
        resp = render(request, "account/lockout.html", {"minutes": minutes}, status=429)
    resp["Retry-After"] = str(int(wait.total_seconds()))
    return resp
