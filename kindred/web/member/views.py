"""Member pages: their sessions (coming up and past) and "I can't make it".

Each view: authorize (scheduling/access.py for the session; the member's own client
record for everything else) → validate the shape (forms.py) → call one service
(scheduling/member.py) → render. Staff have no member pages: 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kindred.core.errors import KindredError
from kindred.scheduling import member as member_sessions
from kindred.scheduling.access import get_session_for
from kindred.scheduling.calendar_feeds import active_feed
from kindred.scheduling.member_home import join_states_for
from kindred.web.forms import apply_error
from kindred.web.member.forms import AbsenceForm
from kindred.web.paging import paginate

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client

View = Callable[..., HttpResponse]
#: How far ahead the sessions page lists (open groups have months of sessions); the
#: first few as full cards, the rest as a short list.
UPCOMING_LIMIT = 30
UPCOMING_CARDS = 4
PAST_PAGE_SIZE = 20


def member_page(view: View) -> View:
    """Signed-in members with a client record; anyone else finds nothing here (404)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        client = member_sessions.member_client(_actor(request))
        if client is None:
            raise Http404
        return view(request, client, *args, **kwargs)

    return wrapper


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@member_page
@require_safe
def sessions(request: HttpRequest, client: Client) -> HttpResponse:
    now = timezone.now()
    upcoming = list(member_sessions.upcoming_sessions(client, now=now)[:UPCOMING_LIMIT])
    joins = join_states_for(upcoming[:UPCOMING_CARDS], client, now)
    items = [
        (member_sessions.present(s, client, now=now), joins.get(s.pk))
        for s in upcoming[:UPCOMING_CARDS]
    ]
    later = [member_sessions.present(s, client, now=now) for s in upcoming[UPCOMING_CARDS:]]
    past = paginate(
        request, member_sessions.past_sessions(client, now=now), per_page=PAST_PAGE_SIZE
    )
    zone = member_sessions.safe_zone(client.timezone)
    past_rows = [
        {
            "session": s,
            "starts": timezone.localtime(s.starts_at, zone),
            "words": member_sessions.attendance_words(s),
        }
        for s in past["page_obj"]
    ]
    return render(
        request,
        "web/member/sessions.html",
        {
            "section": "sessions",
            "client": client,
            "items": items,
            "later": later,
            "past_rows": past_rows,
            "zone": member_sessions.zone_name(client.timezone),
            "feed": active_feed(actor=_actor(request)),
            **past,
        },
    )


@member_page
@require_http_methods(["GET", "HEAD", "POST"])
def absence(request: HttpRequest, client: Client, session_id: int) -> HttpResponse:
    actor = _actor(request)
    session = get_session_for(actor, session_id)
    notice = member_sessions.own_notice_for(client, session)
    form = AbsenceForm(request.POST or None, initial={"note": notice.note if notice else ""})
    if request.method == "POST" and form.is_valid():
        try:
            member_sessions.absence_notice_give(
                actor=actor, session=session, note=form.cleaned_data["note"]
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(
                request,
                _("Thank you for letting us know. Your facilitator will see it. We'll miss you."),
            )
            return redirect("web:member_sessions")
    now = timezone.now()
    return render(
        request,
        "web/member/absence.html",
        {
            "section": "sessions",
            "item": member_sessions.present(session, client, now=now),
            "notice": notice,
            "form": form,
        },
    )


@member_page
@require_POST
def absence_withdraw(request: HttpRequest, client: Client, notice_id: int) -> HttpResponse:
    actor = _actor(request)
    notice = member_sessions.get_own_notice(actor, notice_id)
    try:
        member_sessions.absence_notice_withdraw(actor=actor, notice=notice)
    except KindredError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your notice is withdrawn. See you at the session."))
    return redirect("web:member_sessions")
