"""Temporary view for pages still being built (replaced section by section)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse


@login_required
def placeholder(request: HttpRequest, **kwargs: object) -> HttpResponse:
    return HttpResponse("This page is being built.", content_type="text/plain")
