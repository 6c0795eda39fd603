"""Kindred's URLs plus two canaries: ``/canary/sqli/?q=`` builds its SQL by string
concatenation (sqlmap must report ``q`` injectable: the harness can catch one), and
``/canary/safe/?q=`` runs the same query with a bound parameter (sqlmap must not).
``/canary/search/?q=`` is safe but word-sensitive, like a name search (an ORM filter per
word, and the words it searched for counted on the page): sqlmap's TRUE and FALSE
payloads are different words there, so its pages differ without any SQL evaluation; the
harness must not report it (sqli.confirm).

And two HTML POST forms, as Kindred's pages are (signed-in only, CSRF-protected,
rendered with a token): ``/canary/form/`` builds its SQL from the ``name`` field with
string formatting (sqlmap, given the page's form through forms.py, must report ``name``
and nothing else: ``note`` is bound); ``/canary/form-safe/`` binds both fields (nothing
to report).

Never part of kindred.urls: only canary_settings.py (the fuzz CLI and its test) serves it.
"""

from __future__ import annotations

import re
from typing import cast

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.urls import URLPattern, URLResolver, path
from django.utils.html import format_html

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


FORM_PAGE = """<!doctype html><html><head><title>Canary form</title></head><body>
<p>{count} migrations found.</p>
<form method="post" action="">
<input type="hidden" name="csrfmiddlewaretoken" value="{token}">
<label>App <input type="text" name="name" value="sessions" maxlength="60"></label>
<label>Note <textarea name="note">synthetic</textarea></label>
<select name="order"><option value="id" selected>id</option><option value="name">name
</option></select>
<button type="submit" name="action" value="look">Look</button>
</form></body></html>"""


def _form_page(request: HttpRequest, *, concatenate: bool) -> HttpResponse:
    count = 0
    if request.method == "POST":
        name, note = request.POST.get("name", ""), request.POST.get("note", "")
        with connection.cursor() as cursor:
            if concatenate:  # the deliberate flaw: a form field formatted into the SQL
                cursor.execute(f"{QUERY}'{name}' AND name <> %s ORDER BY id", [note])
            else:
                cursor.execute(f"{QUERY}%s AND name <> %s ORDER BY id", [name, note])
            count = len(cursor.fetchall())
    return HttpResponse(format_html(FORM_PAGE, count=count, token=get_token(request)))


@login_required
def injectable_form(request: HttpRequest) -> HttpResponse:
    return _form_page(request, concatenate=True)


@login_required
def safe_form(request: HttpRequest) -> HttpResponse:
    return _form_page(request, concatenate=False)


urlpatterns: list[URLPattern | URLResolver] = [
    path("canary/form/", injectable_form, name="canary_form"),
    path("canary/form-safe/", safe_form, name="canary_form_safe"),
    path("canary/sqli/", injectable, name="canary_sqli"),
    path("canary/safe/", safe, name="canary_safe"),
    path("canary/search/", search, name="canary_search"),
    *cast("list[URLPattern | URLResolver]", kindred_urlpatterns),
]
