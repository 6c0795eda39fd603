"""What the staff pages of every section share: the actor of a request and the gate
that keeps staff pages from everyone else.

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

if TYPE_CHECKING:
    from kindred.accounts.models import User

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
