"""Who is asking, for every API v1 module: the actor behind a request (a session or a
token; HasTokenScope has already let them in) and the gate of staff-only resources.

Staff-only resources do not exist for members and anyone else without a staff account:
they get 404, never 403, so the API does not confirm what it holds. Object access is
then checked by the same ``get_x_for`` functions the web pages use."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from kindred.core.errors import NotFound

if TYPE_CHECKING:
    from rest_framework.request import Request

    from kindred.accounts.models import User


def actor_of(request: Request) -> User:
    return cast("User", request.user)


def require_staff(request: Request) -> User:
    """The actor when they have a staff account; NotFound (404) for anyone else."""
    actor = actor_of(request)
    if not getattr(actor, "is_staff_member", False):
        raise NotFound("Not found.")
    return actor
