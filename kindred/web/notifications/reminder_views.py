"""Reminder preferences: a member's own (from their account page) and, for those who
manage client records, a client's (from the client's page).

Each view: authorize (a member's own record; clients/access.py for staff) → validate
the shape (forms.py) → call one service (scheduling/reminder_preferences.py) → render.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kindred.clients import selectors as client_selectors
from kindred.clients.models import Client
from kindred.core.errors import KindredError, NotPermitted
from kindred.scheduling.reminder_preferences import reminder_preferences_set
from kindred.scheduling.sms import sms_enabled
from kindred.web.forms import apply_error
from kindred.web.notifications.forms import ReminderPreferencesForm

if TYPE_CHECKING:
    from kindred.accounts.models import User


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _initial(client: Client) -> dict[str, object]:
    return {
        "email_reminders": client.email_reminders,
        "sms_reminders": client.sms_reminders,
        "phone": client.phone,
    }


def _edit(
    request: HttpRequest, client: Client, *, own: bool, back_url: str, section: str
) -> HttpResponse:
    actor = _actor(request)
    form = ReminderPreferencesForm(request.POST or None, initial=_initial(client))
    if request.method == "POST" and form.is_valid():
        try:
            reminder_preferences_set(actor=actor, client=client, **form.cleaned_data)
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        except KindredError as exc:
            client.refresh_from_db()
            apply_error(form, exc)
        else:
            messages.success(request, _("Reminder settings saved."))
            return redirect(back_url)
    return render(
        request,
        "web/notifications/reminder_preferences.html",
        {
            "section": section,
            "form": form,
            "client": client,
            "own": own,
            "back_url": back_url,
            "sms_available": sms_enabled(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def own_reminders(request: HttpRequest) -> HttpResponse:
    """A member's own reminder settings. Staff have none: 404."""
    client = client_selectors.own_client(actor=_actor(request))
    return _edit(
        request, client, own=True, back_url=reverse("web:account") + "#reminders", section="account"
    )


@login_required
@require_http_methods(["GET", "POST"])
def client_reminders(request: HttpRequest, client_id: int) -> HttpResponse:
    """A client's reminder settings, for those who manage client records."""
    try:
        # Opening it to change it, like the record's edit form: an access audit event.
        client = client_selectors.client_get(actor=_actor(request), client_id=client_id, write=True)
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    back = reverse("web:client_detail", args=[client.pk]) + "#reminders"
    return _edit(request, client, own=False, back_url=back, section="clients")
