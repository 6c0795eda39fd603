"""Calendars: the secret feed address (public, the token is the key), the page where a
person makes, replaces or stops it, and one session as an .ics download."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from kindred.accounts.models import User
from kindred.core.errors import KindredError
from kindred.scheduling import calendar_feeds
from kindred.scheduling.access import get_session_for

ICS_TYPE = "text/calendar; charset=utf-8"


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required ran first
    return user


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=ICS_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_safe
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed a calendar program subscribes to. No sign-in: the address is the key. A
    revoked or unknown address is a 404. A handful of queries whatever it holds."""
    found = calendar_feeds.feed_by_token(token)
    if found is None:
        raise Http404
    now = timezone.now()
    body = calendar_feeds.feed_body(found.user, now=now)
    calendar_feeds.mark_fetched(found, now)
    response = HttpResponse(body, content_type=ICS_TYPE)
    response["Content-Disposition"] = 'inline; filename="kindred.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_required
@require_safe
def session_download(request: HttpRequest, session_id: int) -> HttpResponse:
    """One session as an .ics file, for anyone who may see the session."""
    actor = _actor(request)
    session = get_session_for(actor, session_id)
    return _ics(calendar_feeds.session_ics(actor, session), f"session-{session.pk}.ics")


@login_required
@require_safe
def calendar_page(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    return render(
        request,
        "web/member/calendar.html",
        {
            "section": "sessions" if actor.is_member else "account",
            "feed": calendar_feeds.active_feed(actor=actor),
        },
    )


@login_required
@require_POST
def calendar_create(request: HttpRequest) -> HttpResponse:
    """Make (or replace) the address. It is shown in this response only."""
    actor = _actor(request)
    try:
        token, feed_record = calendar_feeds.calendar_feed_create(actor=actor)
    except KindredError as exc:
        messages.error(request, exc.message)
        return redirect("web:calendar")
    return render(
        request,
        "web/member/calendar.html",
        {
            "section": "sessions" if actor.is_member else "account",
            "feed": feed_record,
            "feed_url": calendar_feeds.feed_url(token),
            "webcal_url": calendar_feeds.webcal_url(token),
        },
    )


@login_required
@require_POST
def calendar_revoke(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    try:
        revoked = calendar_feeds.calendar_feed_revoke(actor=actor)
    except KindredError as exc:
        messages.error(request, exc.message)
    else:
        if revoked:
            messages.success(
                request,
                _("Your calendar address is turned off. Calendars using it stop updating."),
            )
    return redirect("web:calendar")
