"""Notifications: a person's own list, newest first, and marking them read.

Each view: authorize (notifications/access.py — only the owner; someone else's is a
404) → call one service → render or redirect. Anyone signed in has a list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kindred.clients.models import Client
from kindred.core.errors import KindredError
from kindred.notifications.access import get_notification_for
from kindred.notifications.preferences import preference_of, preference_set, time_zone_of
from kindred.notifications.selectors import notification_list
from kindred.notifications.services import notification_mark_read, notifications_mark_all_read
from kindred.practice.settings import practice_settings
from kindred.web.forms import apply_error
from kindred.web.notifications.forms import DigestPreferenceForm
from kindred.web.paging import paginate

if TYPE_CHECKING:
    from kindred.accounts.models import User

PAGE_SIZE = 25


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
@require_safe
def notification_list_page(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    show = "unread" if request.GET.get("show") == "unread" else "all"
    notes = notification_list(actor=actor, unread_only=show == "unread")
    own_zone = Client.objects.filter(user_id=actor.pk).values_list("timezone", flat=True).first()
    context = {
        "section": "notifications",
        "show": show,
        "tz_name": own_zone or practice_settings().timezone,
        **paginate(request, notes, per_page=PAGE_SIZE),
    }
    return render(request, "web/notifications/list.html", context)


@login_required
@require_POST
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark read and go where the notification points (only ever within Kindred)."""
    actor = _actor(request)
    note = notification_mark_read(
        actor=actor, notification=get_notification_for(actor, notification_id)
    )
    if note.url and url_has_allowed_host_and_scheme(
        note.url, allowed_hosts=None, require_https=request.is_secure()
    ):
        return redirect(note.url)
    return redirect("web:notifications")


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    actor = _actor(request)
    notification_mark_read(actor=actor, notification=get_notification_for(actor, notification_id))
    return redirect("web:notifications")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_all_read(actor=_actor(request))
    if count:
        messages.success(request, _("All caught up: every notification is marked read."))
    return redirect("web:notifications")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    """A person's own email digest setting (members and staff alike)."""
    actor = _actor(request)
    pref = preference_of(actor)
    form = DigestPreferenceForm(
        request.POST or None,
        initial={"digest": pref.digest, "digest_hour": pref.digest_hour},
    )
    if request.method == "POST" and form.is_valid():
        try:
            preference_set(
                actor=actor,
                digest=form.cleaned_data["digest"],
                digest_hour=form.cleaned_data["digest_hour"],
            )
        except KindredError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Notification settings saved."))
            return redirect("web:notification_settings")
    return render(
        request,
        "web/notifications/settings.html",
        {"section": "notifications", "form": form, "tz_name": time_zone_of(actor)},
        status=400 if form.errors else 200,
    )
