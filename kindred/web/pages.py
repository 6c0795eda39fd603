"""What the pages of every section share: the actor of a request, the gate that keeps
staff pages from everyone else, and the gate of the sections open to anyone signed in
(members and staff alike; their access functions decide the rest).

A staff page is for signed-in staff only. Anyone else gets 404 — the page does not
exist for them — and, when the address names a record (``group_id``, ``client_id``...),
the attempt is recorded as a "denied" audit event on that record. A capability a service
refuses (NotPermitted) becomes a 403 page; records the actor may not see are already 404
through the ``get_x_for`` access functions and ``kindred.core.access.deny``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse

from kindred.core.access import deny
from kindred.core.errors import NotPermitted
from kindred.space.access import member_client

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.clients.models import Client

View = Callable[..., HttpResponse]


def actor_of(request: HttpRequest) -> User:
    return cast("User", request.user)


def staff_page_for(model: type[Model], id_kwarg: str) -> Callable[[View], View]:
    """The staff-page decorator of a section whose addresses name a ``model`` by
    ``id_kwarg``: ``staff_page = staff_page_for(TherapyGroup, "group_id")``."""

    def staff_page(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not getattr(request.user, "is_staff_member", False):
                if id_kwarg in kwargs:
                    deny(actor_of(request), model, kwargs[id_kwarg])
                raise Http404
            try:
                return view(request, *args, **kwargs)
            except NotPermitted as exc:
                raise PermissionDenied(exc.message) from exc

        return wrapper

    return staff_page


def signed_in_page(view: View) -> View:
    """The page decorator of a section open to anyone signed in (goals, journal, coping
    strategies, milestones, the group space): sign-in first, then the view; a capability
    a service refuses (NotPermitted) becomes a 403 page. Records the actor may not see
    are 404 through the section's ``get_x_for`` access functions."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc

    return wrapper


def member_client_or_404(request: HttpRequest) -> Client:
    """The signed-in, active member's own client record; for anyone else (staff
    included) the member's page does not exist: 404."""
    client = member_client(actor_of(request))
    if client is None:
        raise Http404
    return client
