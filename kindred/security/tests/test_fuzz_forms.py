"""sqlmap on HTML POST forms, the parts that need no sqlmap (kindred/security/fuzz/forms.py
and the form targets of sqli.py): forms are read from the pages as rendered, the quick
mode tries a representative bounded set and --full every form and field, forms that end
what the run needs are not tried, and a form is posted as a browser would (its CSRF
token accepted by Django on Kindred's real pages). The live sqlmap runs, with the
deliberately broken form, are in test_sqli_forms.py (PostgreSQL)."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qsl

import pytest
from django.conf import settings
from django.test import Client as HttpClient

from kindred.core.testing import Cast, signed_in
from kindred.security.fuzz import forms, roles, sqli
from kindred.security.fuzz.__main__ import _pages

FORM_TYPE = "application/x-www-form-urlencoded"
PAGE = """
<form method="get" action="/clients/"><input type="search" name="q"></form>
<form method="post" action="">
  <input type="hidden" name="csrfmiddlewaretoken" value="tok">
  <input type="hidden" name="version" value="3">
  <input name="title" value="">
  <input type="email" name="email">
  <input type="text" name="locked" value="x" disabled>
  <textarea name="body">  </textarea>
  <select name="state"><option value="">---</option><option value="IL">IL</option>
    <option value="KS" selected>KS</option></select>
  <select name="kind"><option value="">---</option><option value="a">A</option></select>
  <input type="checkbox" name="agree" checked><input type="checkbox" name="other">
  <input type="radio" name="size" value="s"><input type="radio" name="size" value="m" checked>
  <input type="number" name="count">
  <input type="file" name="upload">
  <div class="hp-field" aria-hidden="true"><input type="text" name="website" tabindex="-1"></div>
  <button type="submit" name="action" value="save">Save</button>
  <button type="submit" name="action" value="draft">Draft</button>
</form>
<form method="POST" action="../archive/"><textarea name="reason"></textarea></form>
<form method="post" action="/notifications/read-all/"><button>Read all</button></form>
<form method="post" action="https://elsewhere.example/x"><input name="q"></form>
"""


def test_post_forms_with_text_inputs_are_read_as_a_browser_would_submit_them():
    found = forms.parse_forms(PAGE, "/journal/7/edit/", role="member")
    assert [f.action for f in found] == ["/journal/7/edit/", "/journal/7/archive/"]
    form, archive = found
    assert form.page == "/journal/7/edit/"
    assert form.role == "member"
    assert form.text_fields == ("title", "email", "body")
    assert form.fields == (
        ("version", "3"),
        ("title", forms.DEFAULT_TEXT),
        ("email", forms.STARTING_VALUES["email"]),
        ("body", forms.DEFAULT_TEXT),
        ("state", "KS"),
        ("kind", "a"),
        ("agree", "on"),
        ("size", "m"),
        ("count", "1"),
        ("website", ""),
        ("action", "save"),
    )
    assert form.template == "/journal/<id>/edit/"
    assert archive.text_fields == ("reason",)
    body = dict(parse_qsl(form.body("secret-token")))
    assert body[sqli.CSRF_FIELD] == "secret-token"  # first, and the page's own is not kept
    assert parse_qsl(form.body("t"))[0] == (sqli.CSRF_FIELD, "t")


def _form(action: str, *fields: str, role: str = "admin_session") -> forms.HtmlForm:
    return forms.HtmlForm(
        page=action,
        action=action,
        fields=tuple((f, "Fuzz") for f in fields),
        text_fields=fields,
        role=role,
    )


SEEN = [
    _form("/clients/new/", "legal_first_name", "legal_last_name", "email"),
    _form("/clients/3/edit/", "legal_first_name"),
    _form("/clients/4/edit/", "legal_first_name", role="facilitator_session"),  # same form
    _form("/clients/3/archive/", "reason"),
    _form("/journal/new/", "title", "body", role="member"),
    _form("/groups/5/edit/", "name", "description"),
    _form("/practice/concerns/new/", "name"),
    _form("/practice/concerns/2/retire/", "reason"),
    _form("/accounts/password/change/", "oldpassword"),
]


def test_full_mode_tries_every_form_and_field_but_not_the_destructive_ones():
    plan = forms.plan(SEEN, max_forms=None, fields_per_form=None)
    assert len(plan.found) == 8  # the two client edit forms are one form
    assert forms.describe(plan.destructive) == [
        "/clients/<id>/archive/ (reason) as admin_session",
        "/practice/concerns/<id>/retire/ (reason) as admin_session",
    ]
    assert [f.action for f in plan.skipped] == ["/accounts/password/change/"]
    assert [f.template for f in plan.tried] == [
        "/clients/<id>/edit/",
        "/clients/new/",
        "/groups/<id>/edit/",
        "/journal/new/",
        "/practice/concerns/new/",
    ]
    assert len(plan.fields) == 1 + 3 + 2 + 2 + 1


def test_quick_mode_takes_one_form_per_section_in_turn_with_bounded_fields():
    plan = forms.plan(SEEN, max_forms=4, fields_per_form=1)
    sections = [f.section for f in plan.tried]
    assert sorted(sections) == ["clients", "groups", "journal", "practice"]
    assert [name for _, name in plan.fields] == [
        plan.tried[0].text_fields[0],
        *[f.text_fields[0] for f in plan.tried[1:]],
    ]
    assert len(plan.fields) == 4
    assert len(plan.left_out) == 1  # the other clients form
    assert len(plan.skipped) == 1  # the account flow, never tried
    more = forms.plan(SEEN, max_forms=5, fields_per_form=2)
    assert [f.section for f in more.tried].count("clients") == 2


def test_each_field_is_one_sqlmap_run_with_the_session_and_a_fresh_csrf_token(tmp_path):
    plan = forms.plan(SEEN, max_forms=None, fields_per_form=None)
    cookies = {
        "admin_session": ("sessionid=s1; csrftoken=c1", "c1"),
        "member": ("sessionid=s2; csrftoken=c2", "c2"),
    }
    planned = forms.targets(plan, "http://127.0.0.1:8123", cookies)
    # The facilitator-only form is kept under the admin who saw it first; every field once.
    assert len(planned) == len(plan.fields)
    form, target = next(p for p in planned if p[1].parameters == ("body",))
    assert form.action == "/journal/new/"
    command = target.command(tmp_path)
    assert command[command.index("-p") + 1] == "body"
    assert command[command.index("--cookie") + 1] == "sessionid=s2; csrftoken=c2"
    data = dict(parse_qsl(command[command.index("--data") + 1]))
    assert data == {sqli.CSRF_FIELD: "c2", "title": "Fuzz", "body": "Fuzz"}
    assert f"--csrf-token={sqli.CSRF_FIELD}" in command
    assert "--csrf-url=http://127.0.0.1:8123/journal/new/" in command
    assert "--csrf-method=GET" in command  # the page is read, never posted to for a token
    assert "--csrf-retries=2" in command
    assert "--answers=resend original POST data=N" in command  # a redirect is followed by GET
    assert "--level=1" in command
    assert target.form
    assert "Content-Type: application/json" not in target.headers
    # A form role without a session is left out rather than sent unauthenticated.
    assert len(forms.targets(plan, "http://127.0.0.1:8123", {"member": cookies["member"]})) == 2


def test_a_form_target_only_ever_points_at_loopback(tmp_path):
    outside = sqli.form_target(
        "x", "http://127.0.0.1:8000", "/a/", "a=1", "a", page="/a/", cookie=""
    )
    moved = sqli.Target(
        label="x",
        url=outside.url,
        parameters=("a",),
        data="a=1",
        csrf_url="http://example.test/a/",
    )
    with pytest.raises(ValueError, match="only ever targets"):
        moved.command(tmp_path)


def test_sqlmaps_payload_line_gives_the_value_of_one_form_field():
    names = {sqli.CSRF_FIELD, "name", "note", "action"}
    payload = "csrfmiddlewaretoken=abc&name=sessions' AND 4869=4869 AND 'a'='a&note=x&action=look"
    assert sqli.payload_value(payload, "name", names) == "sessions' AND 4869=4869 AND 'a'='a"
    assert sqli.payload_value("name=1 AND 2=2", "name", names) == "1 AND 2=2"
    assert sqli.payload_value("note=1", "name", names) == ""
    # A value holding "&" that is not followed by a sent name stays whole.
    assert sqli.payload_value("name=a&b=1' OR 1=1&note=x", "name", names) == "a&b=1' OR 1=1"


def _csrf_client(user_session: HttpClient) -> tuple[HttpClient, str]:
    """A client that enforces CSRF as a browser-facing server does, with the session of
    ``user_session`` and a CSRF cookie whose secret is the token."""
    http = HttpClient(enforce_csrf_checks=True)
    name = settings.SESSION_COOKIE_NAME
    http.cookies[name] = user_session.cookies[name].value
    token = secrets.token_hex(16)
    http.cookies[settings.CSRF_COOKIE_NAME] = token
    return http, token


def test_the_crawl_finds_kindreds_forms_and_their_posts_pass_csrf(cast: Cast):
    """The pages each signed-in role sees, rendered: their POST forms with text inputs are
    found (a bounded, real set), and posting one with the session's token is accepted
    by Django's CSRF check where a wrong token is refused."""
    known = roles.known_ids(cast)
    seen: list[forms.HtmlForm] = []
    for role, user in (("admin_session", cast.admin), ("member", cast.member)):
        http = signed_in(user)
        for path in _pages(known):
            response = http.get(path)
            if response.status_code == 200 and "html" in response.get("Content-Type", ""):
                seen += forms.parse_forms(response.content.decode(), path, role=role)
    plan = forms.plan(seen, max_forms=None, fields_per_form=None)
    templates = {f.template for f in plan.tried}
    assert "/find-a-group/<slug>/join/" not in templates  # the slug is not an id
    join = next(f for f in plan.tried if f.action.endswith("/join/"))
    assert "website" not in join.text_fields  # the honeypot
    assert dict(join.fields)["website"] == ""
    assert "/clients/new/" in templates
    assert "/journal/new/" in templates
    assert {f.role for f in plan.tried} == {"admin_session", "member"}
    assert any("/archive/" in f.action for f in plan.destructive)
    assert len(plan.tried) >= 10
    assert not [f for f in plan.tried if forms.DESTRUCTIVE.search(f.action)]
    quick = forms.plan(seen, max_forms=6, fields_per_form=1)
    assert len(quick.tried) == 6
    assert len({f.section for f in quick.tried}) == 6

    journal = next(f for f in plan.tried if f.template == "/journal/new/")
    http, token = _csrf_client(signed_in(cast.member))
    refused = http.post(journal.action, journal.body("wrong" * 8), content_type=FORM_TYPE)
    assert refused.status_code == 403
    accepted = http.post(journal.action, journal.body(token), content_type=FORM_TYPE)
    assert accepted.status_code in {200, 302}


def test_the_form_figures_of_the_parts_json():
    """The JSON names what was found, tried and reported (here with nothing to run)."""
    from kindred.security.fuzz.__main__ import _run_forms

    plan = forms.plan(SEEN, max_forms=0, fields_per_form=1)
    findings: list[dict[str, object]] = []
    notes: list[str] = []
    figures = _run_forms(plan, [], seconds=60, findings=findings, notes=notes)
    assert figures["forms_found"] == 8
    assert figures["forms_planned"] == 0
    assert figures["fields_planned"] == 0
    assert figures["forms_tried"] == 0
    assert figures["fields_tried"] == 0
    assert figures["findings"] == 0
    assert figures["not_confirmed"] == 0
    assert figures["untested_targets"] == 0
    assert figures["runs"] == []
    assert figures["not_in_quick_set"] == 5  # max_forms=0 here: none chosen
    assert len(figures["destructive_not_tried"]) == 2
    assert findings == []
