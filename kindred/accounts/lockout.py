"""Sign-in throttling with django-axes (database-backed, so it keeps working without
Redis).

After ``AXES_FAILURE_LIMIT`` (10) failed sign-ins for one account, or from one IP address,
further attempts are refused with 429 and Retry-After, even with the right password.
The first lock-out lasts one minute; each further lock-out of the same account or address
within a day doubles the wait (1, 2, 4, ... up to 60 minutes). A successful sign-in clears
the failures (``AXES_RESET_ON_SUCCESS``) and the escalation of that account.

The lock-out history is axes' own failure log (``AXES_ENABLE_ACCESS_FAILURE_LOG``): one row
per failed attempt, marked when the attempt caused a lock-out. Refused attempts during a
lock-out are not logged there (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False``),
so the marked rows count lock-outs, not attempts.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import ngettext

BASE_COOLOFF = timedelta(minutes=1)
MAX_COOLOFF = timedelta(minutes=60)
HISTORY = timedelta(hours=24)


def username_from_request(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """allauth signs in by email (its form field is ``login``; the credentials it passes
    to ``authenticate`` say ``email``): axes must count failures per email, lower-cased."""
    value: Any = ""
    if credentials:
        value = credentials.get("email") or credentials.get("login") or credentials.get("username")
    if not value and request is not None and request.method == "POST":
        value = request.POST.get("login", "") or request.POST.get("email", "")
    return str(value or "").strip().lower()[:254]


def _client_ip(request: HttpRequest) -> str | None:
    from axes.helpers import get_client_ip_address

    ip = getattr(request, "axes_ip_address", None)
    return str(ip) if ip else get_client_ip_address(request)


def _lockouts_since(field: str, value: str, now: datetime) -> int:
    """Lock-outs of this account (``field="username"``) or address (``"ip_address"``)
    in the last day, not counting those before its last successful sign-in."""
    from axes.models import AccessFailureLog, AccessLog

    since = now - HISTORY
    last_success = AccessLog.objects.filter(**{field: value}).aggregate(at=Max("attempt_time"))[
        "at"
    ]
    if last_success is not None and last_success > since:
        since = last_success
    count: int = AccessFailureLog.objects.filter(
        **{field: value}, locked_out=True, attempt_time__gt=since
    ).count()
    return count


def lockout_count(request: HttpRequest) -> int:
    """How many times the account or address of this request was locked out lately."""
    now = getattr(request, "axes_attempt_time", None) or timezone.now()
    counts = [0]
    ip = _client_ip(request)
    if ip:
        counts.append(_lockouts_since("ip_address", ip, now))
    username = username_from_request(request, getattr(request, "axes_credentials", None))
    if username:
        counts.append(_lockouts_since("username", username, now))
    return max(counts)


def cooloff_time(request: HttpRequest | None) -> timedelta:
    """How long a lock-out lasts, and how far back failures count towards one."""
    if request is None:
        return BASE_COOLOFF
    doublings = max(0, lockout_count(request) - 1)
    wait: timedelta = min(BASE_COOLOFF * (2**doublings), MAX_COOLOFF)
    return wait


def _seconds_left(request: HttpRequest, wait: timedelta) -> int:
    """The wait runs from the failure that caused the lock-out (the newest one counted)."""
    from axes.models import AccessAttempt
    from django.db.models import Q

    now = getattr(request, "axes_attempt_time", None) or timezone.now()
    match = Q()
    ip = _client_ip(request)
    if ip:
        match |= Q(ip_address=ip)
    username = username_from_request(request, getattr(request, "axes_credentials", None))
    if username:
        match |= Q(username=username)
    if not match:
        return int(wait.total_seconds())
    newest = AccessAttempt.objects.filter(match).aggregate(at=Max("attempt_time"))["at"]
    if newest is None:
        return int(wait.total_seconds())
    left = (newest + wait - now).total_seconds()
    return max(1, min(int(wait.total_seconds()), int(left + 0.999)))


def lockout_response(
    request: HttpRequest, response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The answer to a locked-out sign-in: 429, Retry-After, and a page that says how long
    to wait (JSON under /api/)."""
    seconds = _seconds_left(request, cooloff_time(request))
    minutes = max(1, -(-seconds // 60))
    resp: HttpResponse
    if request.path.startswith("/api/"):
        message = ngettext(
            "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
            "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
        resp = HttpResponse(
            json.dumps({"detail": message, "retry_after_seconds": seconds}),
            status=429,
            content_type="application/json",
        )
    else:
        resp = render(request, "account/lockout.html", {"minutes": minutes}, status=429)
    resp["Retry-After"] = str(seconds)
    return resp
