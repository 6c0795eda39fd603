"""Kindred's URLs plus two canaries: ``/canary/sqli/?q=`` builds its SQL by string
concatenation (sqlmap must report ``q`` injectable: the harness can catch one), and
``/canary/safe/?q=`` runs the same query with a bound parameter (sqlmap must not).
``/canary/search/?q=`` is safe but word-sensitive, like a name search (an ORM filter per
word, and the words it searched for counted on the page): sqlmap's TRUE and FALSE
payloads are different words there, so its pages differ without any SQL evaluation; the
harness must not report it (sqli.confirm).

Never part of kindred.urls: only canary_settings.py (the fuzz CLI and its test) serves it.
"""

from __future__ import annotations

import re
from typing import cast

from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Q
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


def search(request: HttpRequest) -> JsonResponse:
    words = list(dict.fromkeys(re.findall(r"\w+", request.GET.get("q", "").casefold())))[:6]
    condition = Q()
    for word in words:
        condition |= Q(name__startswith=word) | Q(name__contains=f"_{word}")
    rows = MigrationRecorder.Migration.objects.filter(condition) if words else []
    names = sorted({row.name for row in rows})
    return JsonResponse({"words": len(words), "count": len(names), "names": names[:20]})


urlpatterns: list[URLPattern | URLResolver] = [
    path("canary/sqli/", injectable, name="canary_sqli"),
    path("canary/safe/", safe, name="canary_safe"),
    path("canary/search/", search, name="canary_search"),
    *cast("list[URLPattern | URLResolver]", kindred_urlpatterns),
]
