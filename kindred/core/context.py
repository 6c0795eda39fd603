"""Per-request facts the audit log needs (request id, client IP, user agent).

Set by ``RequestContextMiddleware`` for web and API requests; management commands and
tasks run with an empty context, and their audit rows say so.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None
    user_agent: str = ""
    via: str = "system"  # "web", "api" or "system"


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "kindred_request_context",
    default=RequestContext(),  # noqa: B039 - a frozen dataclass is immutable
)


def current() -> RequestContext:
    return _current.get()


def set_current(ctx: RequestContext) -> contextvars.Token[RequestContext]:
    return _current.set(ctx)


def reset(token: contextvars.Token[RequestContext]) -> None:
    _current.reset(token)
