"""sqlmap catches an injection through an HTML POST form (SECURITY.md: SQL injection with
sqlmap on every parameter; kindred/security/fuzz/forms.py). The deliberately broken
variant is in the canary URL configuration, mounted only here and in the fuzz CLI's
canary server: ``/canary/form/`` (signed-in only, CSRF-protected like Kindred's pages)
formats its ``name`` field into the SQL and binds ``note``; ``/canary/form-safe/`` binds
both. The forms are found by rendering their pages and posted by sqlmap with the session
cookie and a fresh CSRF token, field by field: ``name`` of the broken form must be
reported and confirmed, and nothing else.

PostgreSQL only: sqlmap is told the database is PostgreSQL (as production's is), and
the live server's thread leaves an SQLite connection open (a ResourceWarning, an error
in this suite); CI runs these on PostgreSQL."""

from __future__ import annotations

from urllib.request import Request, urlopen

import pytest
from django.db import connection

from kindred.core.testing import build_cast
from kindred.security.fuzz import forms, sqli
from kindred.security.fuzz.__main__ import _form_cookies, _run_forms, form_canary_targets

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL only: sqlmap is told the database is PostgreSQL; the live "
        "server's thread leaves its SQLite connection open. CI runs this on PostgreSQL.",
    ),
]

CANARY_URLS = "kindred.security.fuzz.canary_urls"  # as canary_settings.py

#: sqlmap's account of a boolean-only injection point in a form body (its Payload line
#: shows the whole body, unencoded).
BOOLEAN_ONLY_FORM = (
    "identified the following injection point(s) with a total of 61 HTTP(s) requests:\n"
    "---\n"
    "Parameter: name (POST)\n"
    "    Type: boolean-based blind\n"
    "    Title: AND boolean-based blind - WHERE or HAVING clause\n"
    "    Payload: csrfmiddlewaretoken=abc&name=sessions' AND 5316=5316 AND 'ZqPb'='ZqPb"
    "&note=synthetic&order=id&action=look\n"
    "---\n"
)


def _canary_forms(base: str, cookie: str) -> list[forms.HtmlForm]:
    seen: list[forms.HtmlForm] = []
    for path in ("/canary/form/", "/canary/form-safe/"):
        request = Request(f"{base}{path}", headers={"Cookie": cookie})  # noqa: S310 - loopback
        with urlopen(request, timeout=120) as page:  # noqa: S310 - loopback
            seen += forms.parse_forms(page.read().decode(), path, role="admin_session")
    return seen


def test_sqlmap_reports_the_form_field_formatted_into_sql_and_nothing_else(
    live_server, settings, transactional_db
):
    settings.ROOT_URLCONF = CANARY_URLS
    assert sqli.sqlmap_runs()
    base = live_server.url.replace("localhost", "127.0.0.1")
    cookies = _form_cookies(build_cast())
    plan = forms.plan(
        _canary_forms(base, cookies["admin_session"][0]), max_forms=None, fields_per_form=None
    )
    assert [(f.action, f.text_fields) for f in plan.tried] == [
        ("/canary/form-safe/", ("name", "note")),
        ("/canary/form/", ("name", "note")),
    ]
    planned = forms.targets(plan, base, cookies)
    findings: list[dict[str, object]] = []
    notes: list[str] = []
    figures = _run_forms(plan, planned, seconds=1200, findings=findings, notes=notes)
    assert figures["forms_found"] == 2
    assert figures["forms_tried"] == 2, notes
    assert figures["fields_tried"] == 4, figures
    assert figures["findings"] == 1, (figures, findings)
    assert figures["not_confirmed"] == 0
    assert figures["untested_targets"] == 0, notes
    (finding,) = findings
    assert finding["kind"] == "sqli"
    assert finding["operation"] == "POST /canary/form/ form field name as admin_session"
    assert str(finding["detail"]).startswith("name injectable")
    runs = {run["target"]: run for run in figures["runs"]}
    assert runs["POST /canary/form/ form field note as admin_session"]["injectable"] == []
    assert runs["POST /canary/form-safe/ form field name as admin_session"]["injectable"] == []


def test_the_confirmation_posts_the_form_with_a_fresh_token_and_follows_sql_truth(
    live_server, settings, transactional_db
):
    """A boolean-only claim on a form field is re-checked by posting the form (a fresh
    CSRF token read from its page each time): confirmed on the broken form, refused on
    the bound one, whose TRUE and FALSE payloads give the same page."""
    settings.ROOT_URLCONF = CANARY_URLS
    base = live_server.url.replace("localhost", "127.0.0.1")
    admin = _form_cookies(build_cast())["admin_session"]
    injectable, safe = form_canary_targets(base, admin)
    assert [t.parameters for t in injectable] == [("name",), ("note",)]
    assert [t.parameters for t in safe] == [("name",)]
    assert sqli.fresh_csrf_token(injectable[0])  # the page as the session sees it
    verdicts = {}
    for target in (injectable[0], safe[0]):
        claim = sqli.Outcome(target, {"name"}, {"name"}, evidence=BOOLEAN_ONLY_FORM)
        (verdicts[target.url],) = sqli.confirm(claim)
    assert verdicts[f"{base}/canary/form/"].confirmed, verdicts
    assert verdicts[f"{base}/canary/form/"].reason.startswith("confirmed")
    refused = verdicts[f"{base}/canary/form-safe/"]
    assert not refused.confirmed
    assert "same page" in refused.reason


def test_the_forms_need_the_session_and_the_token(live_server, settings, transactional_db):
    """The canary forms are guarded as Kindred's are: without the session the page sends
    the visitor to sign in (no form to find), and a post without a valid token is 403."""
    settings.ROOT_URLCONF = CANARY_URLS
    base = live_server.url.replace("localhost", "127.0.0.1")
    import requests

    anonymous = requests.get(f"{base}/canary/form/", timeout=60, allow_redirects=False)
    assert anonymous.status_code == 302
    assert forms.parse_forms(anonymous.text, "/canary/form/") == []
    cookie, _ = _form_cookies(build_cast())["admin_session"]
    forged = requests.post(
        f"{base}/canary/form/",
        data={"csrfmiddlewaretoken": "x" * 32, "name": "sessions"},
        headers={"Cookie": cookie},
        timeout=60,
    )
    assert forged.status_code == 403
