"""Kindred's URLs plus two canaries: ``/canary/sqli/?q=`` builds its SQL by string
concatenation (sqlmap must report ``q`` injectable: the harness can catch one), and
``/canary/safe/?q=`` runs the same query with a bound parameter (sqlmap must not).

Never part of kindred.urls: only canary_settings.py (the fuzz CLI and its test) serves it.
"""

from __future__ import annotations

from typing import cast

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, path

from kindred.urls import urlpatterns as kindred_urlpatterns

QUERY = "SELECT app, name FROM django_migrations WHERE app = "


def injectable(request: HttpRequest) -> JsonResponse:
    q = request.GET.get("q", "")
    with connection.cursor() as cursor:
        cursor.execute(QUERY + "'" + q + "' ORDER BY id")
        rows = cursor.fetchall()
    return JsonResponse({"count": len(rows), "names": [r[1] for r in rows]})


def safe(request: HttpRequest) -> JsonResponse:
    q = request.GET.get("q", "")
    with connection.cursor() as cursor:
        cursor.execute(QUERY + "%s ORDER BY id", [q])
        rows = cursor.fetchall()
    return JsonResponse({"count": len(rows), "names": [r[1] for r in rows]})


urlpatterns: list[URLPattern | URLResolver] = [
    path("canary/sqli/", injectable, name="canary_sqli"),
    path("canary/safe/", safe, name="canary_safe"),
    *cast("list[URLPattern | URLResolver]", kindred_urlpatterns),
]
