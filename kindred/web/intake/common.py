"""What the intake pages share: who may open them, and the actor."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from kindred.core.access import deny
from kindred.core.errors import NotPermitted
from kindred.intake.access import sees_waitlist
from kindred.intake.models import Referral, WaitlistEntry

if TYPE_CHECKING:
    from kindred.accounts.models import User

View = Callable[..., HttpResponse]


def actor_of(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def waitlist_page(view: View) -> View:
    """Signed-in staff who see the waitlist (coordinators, admins). Everyone else —
    members, facilitators, supervisors, billing — gets 404: these pages do not exist
    for them (asking for a record by id also records a "denied" audit event). A
    change a service refuses becomes a 403 page."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        actor = actor_of(request)
        if not sees_waitlist(actor):
            if "entry_id" in kwargs:
                deny(actor, WaitlistEntry, kwargs["entry_id"])
            if "referral_id" in kwargs:
                deny(actor, Referral, kwargs["referral_id"])
            raise Http404
        try:
            return view(request, *args, **kwargs)
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc

    return wrapper
