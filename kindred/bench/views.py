"""The "hello" view: the least work a request through Kindred's full middleware stack
can do. Its requests/s, measured in the same run, is the ceiling the real pages are
compared with (PERFORMANCE.md)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse


def hello(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"hello": "world"})
