"""Benchmark-only routes. Empty unless the environment sets ``KINDRED_BENCH=1`` (the
benchmark harness does), so a normal deployment serves none of them."""

from __future__ import annotations

import os

from django.urls import URLPattern, path

from kindred.bench import views

app_name = "bench"

urlpatterns: list[URLPattern] = (
    [path("hello/", views.hello, name="hello")] if os.environ.get("KINDRED_BENCH") == "1" else []
)
