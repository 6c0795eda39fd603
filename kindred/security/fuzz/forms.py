"""HTML POST forms for sqlmap: found in the pages each role really sees (the walk of the
live server renders every page as a signed-in admin, facilitator and member; every
``<form method="post">`` with a text input is kept), then tried field by field.

A form is submitted as a browser would: every field with the value the page rendered
(the selected option, a checked box, a hidden input such as the anti-spam "shown at"
stamp), empty text fields given a plausible value of their type, a honeypot field
(``tabindex="-1"``) left empty and untried, the first named submit button, and the CSRF
token. The body is url-encoded (file inputs are left out).
sqlmap gets the body with ``-p <field>``, the session cookie, and ``--csrf-token
csrfmiddlewaretoken --csrf-url <the page>``: it fetches the page again for a fresh token
before its requests, as a browser would.

Forms that take away what the rest of the run needs (archive, close an account, delete,
deactivate, revoke, end, withdraw, status changes, moderation, role changes) are listed
and not tried: their POSTs would hide the cast's pages from the other parts. Forms of
the account flows (/accounts/) are never walked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

from kindred.security.fuzz.sqli import CSRF_FIELD, Target, form_target

#: Input types whose value is free text: the fields sqlmap tries.
TEXT_TYPES = frozenset({"text", "search", "email", "tel", "url", "textarea"})
#: Input types never submitted by a plain form post (files are left out: the body is
#: url-encoded, so a view reading an upload sees none).
NOT_SUBMITTED = frozenset({"submit", "button", "reset", "image", "file"})
#: A value for an empty text field of each type (a valid starting point for the form).
STARTING_VALUES = {
    "email": "fuzz.form@example.test",
    "tel": "+13125550100",
    "url": "https://example.test/fuzz",
    "number": "1",
    "date": "2026-01-15",
    "time": "10:00",
    "datetime-local": "2026-01-15T10:00",
}
DEFAULT_TEXT = "Fuzz"
#: POST targets not tried: they end or remove what the other parts of the run use.
DESTRUCTIVE = re.compile(
    r"/(archive|close|delete|discard|deactivate|revoke|end|withdraw|status|retire|pause"
    r"|moderate|lift|roles|cancel|sign-?out|logout|leave|remove|unshare|hide|dismiss"
    r"|send-link|publish)(/|$)"
)
#: Never walked, so never tried: the API (sqlmap has its own targets there), the account
#: flows (sign-in, password), files.
SKIPPED_PREFIXES = ("/api/", "/fhir/", "/accounts/", "/static/", "/media/", "/bench/")
_ID = re.compile(r"/\d+(?=/|$)")


@dataclass(frozen=True)
class HtmlForm:
    """A POST form as rendered: where it was (``page``, for a fresh CSRF token), where it
    posts (``action``, a path), what a browser would send (``fields``, in page order,
    without the CSRF token) and which of them take text."""

    page: str
    action: str
    fields: tuple[tuple[str, str], ...]
    text_fields: tuple[str, ...]
    role: str = ""

    @property
    def template(self) -> str:
        """The action with its integer ids as ``<id>``: forms are the same form when
        this and their text fields are."""
        return _ID.sub("/<id>", self.action)

    @property
    def section(self) -> str:
        return self.action.strip("/").split("/", 1)[0]

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        return self.template, self.text_fields

    def body(self, csrf_token: str) -> str:
        return urlencode([(CSRF_FIELD, csrf_token), *self.fields])


@dataclass
class _Open:
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    button: tuple[str, str] | None = None
    select: str | None = None
    select_value: str | None = None
    select_first: str | None = None
    textarea: str | None = None
    textarea_value: list[str] = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[_Open] = []
        self.current: _Open | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self.current = _Open(action=a.get("action", ""))
            return
        form = self.current
        if form is None or "disabled" in a:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            self._input(form, name, a)
        elif tag == "button" and name and a.get("type", "submit") == "submit":
            form.button = form.button or (name, a.get("value", ""))
        elif tag == "textarea" and name:
            form.textarea, form.textarea_value = name, []
        elif tag == "select" and name:
            form.select, form.select_value, form.select_first = name, None, None
        elif tag == "option" and form.select is not None:
            value = a.get("value", "")
            if "selected" in a and form.select_value is None:
                form.select_value = value
            if value and form.select_first is None:
                form.select_first = value

    def _input(self, form: _Open, name: str, a: dict[str, str]) -> None:
        kind = a.get("type", "text").lower()
        if name == CSRF_FIELD:
            return
        if kind in {"submit", "image"}:
            form.button = form.button or (name, a.get("value", ""))
            return
        if kind in NOT_SUBMITTED:
            return
        if kind in {"checkbox", "radio"}:
            if "checked" in a:
                form.fields.append((name, a.get("value", "on")))
            return
        value = a.get("value", "")
        if a.get("tabindex") == "-1" and kind in TEXT_TYPES:
            # A honeypot (core/antispam.py): hidden from people, left empty by them. Filled
            # in, the submission is quietly dropped before any other field is used.
            form.fields.append((name, ""))
            return
        if kind in TEXT_TYPES:
            form.text.append(name)
            value = value or STARTING_VALUES.get(kind, DEFAULT_TEXT)
        elif not value:
            value = STARTING_VALUES.get(kind, "")
        form.fields.append((name, value))

    def handle_data(self, data: str) -> None:
        if self.current is not None and self.current.textarea is not None:
            self.current.textarea_value.append(data)

    def handle_endtag(self, tag: str) -> None:
        form = self.current
        if form is None:
            return
        if tag == "textarea" and form.textarea is not None:
            value = "".join(form.textarea_value).strip() or DEFAULT_TEXT
            form.fields.append((form.textarea, value))
            form.text.append(form.textarea)
            form.textarea = None
        elif tag == "select" and form.select is not None:
            chosen = form.select_value if form.select_value is not None else form.select_first
            form.fields.append((form.select, chosen or ""))
            form.select = None
        elif tag == "form":
            self.found.append(form)
            self.current = None


def _action_path(page: str, action: str) -> str | None:
    """The path a form posts to, or None when it leaves this server."""
    absolute = urljoin(f"http://127.0.0.1{page}", action or page)
    parts = urlsplit(absolute)
    if parts.hostname != "127.0.0.1":
        return None
    return parts.path


def parse_forms(html: str, page: str, *, role: str = "") -> list[HtmlForm]:
    """The POST forms of a rendered page (``page``: its path, without a query) that
    take at least one text input."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    forms: list[HtmlForm] = []
    for raw in parser.found:
        action = _action_path(page, raw.action)
        if action is None or not raw.text:
            continue
        fields = list(raw.fields)
        if raw.button is not None and raw.button[0] not in {n for n, _ in fields}:
            fields.append(raw.button)
        forms.append(
            HtmlForm(
                page=page,
                action=action,
                fields=tuple(fields),
                text_fields=tuple(dict.fromkeys(raw.text)),
                role=role,
            )
        )
    return forms


@dataclass
class FormPlan:
    """The forms found, the ones tried and the ones left out (with why)."""

    found: list[HtmlForm] = field(default_factory=list)
    tried: list[HtmlForm] = field(default_factory=list)
    destructive: list[HtmlForm] = field(default_factory=list)
    skipped: list[HtmlForm] = field(default_factory=list)  # under SKIPPED_PREFIXES
    left_out: list[HtmlForm] = field(default_factory=list)  # beyond the quick mode's bound
    fields_per_form: int | None = None  # None: every text field

    @property
    def fields(self) -> list[tuple[HtmlForm, str]]:
        return [(form, name) for form in self.tried for name in self.fields_of(form)]

    def fields_of(self, form: HtmlForm) -> tuple[str, ...]:
        if self.fields_per_form is None:
            return form.text_fields
        return form.text_fields[: self.fields_per_form]


def unique(forms: Iterable[HtmlForm]) -> list[HtmlForm]:
    """One form per (action template, text fields): the first role to see it keeps it."""
    seen: dict[tuple[str, tuple[str, ...]], HtmlForm] = {}
    for form in forms:
        seen.setdefault(form.key, form)
    return sorted(seen.values(), key=lambda f: (f.template, f.text_fields))


def plan(
    forms: Iterable[HtmlForm], *, max_forms: int | None, fields_per_form: int | None
) -> FormPlan:
    """Which forms to try. ``max_forms=None``: every form and every field (--full);
    otherwise a representative set: one form per section of the site (the first path
    segment: clients, groups, journal, ...) in turn, then a second per section, and so
    on up to ``max_forms``, with at most ``fields_per_form`` fields each."""
    result = FormPlan(fields_per_form=fields_per_form)
    for form in unique(forms):
        result.found.append(form)
        if form.action.startswith(SKIPPED_PREFIXES):
            result.skipped.append(form)
        elif DESTRUCTIVE.search(form.action):
            result.destructive.append(form)
    candidates = [f for f in result.found if f not in result.skipped + result.destructive]
    if max_forms is None:
        result.tried = candidates
        return result
    by_section: dict[str, list[HtmlForm]] = {}
    for form in candidates:
        by_section.setdefault(form.section, []).append(form)
    chosen: list[HtmlForm] = []
    depth = 0
    while len(chosen) < max_forms and any(len(v) > depth for v in by_section.values()):
        for section in sorted(by_section):
            if depth < len(by_section[section]) and len(chosen) < max_forms:
                chosen.append(by_section[section][depth])
        depth += 1
    result.tried = sorted(chosen, key=lambda f: (f.template, f.text_fields))
    result.left_out = [f for f in candidates if f not in chosen]
    return result


def targets(
    form_plan: FormPlan, base_url: str, cookies: dict[str, tuple[str, str]]
) -> list[tuple[HtmlForm, Target]]:
    """One sqlmap target per (form, field), with its form. ``cookies``: role -> (Cookie
    header, a CSRF token valid with it); a form seen by a role not there is left out."""
    found: list[tuple[HtmlForm, Target]] = []
    for form, name in form_plan.fields:
        if form.role not in cookies:
            continue
        cookie, token = cookies[form.role]
        found.append(
            (
                form,
                form_target(
                    f"POST {form.template} form field {name} as {form.role}",
                    base_url,
                    form.action,
                    form.body(token),
                    name,
                    page=form.page,
                    cookie=cookie,
                ),
            )
        )
    return found


def describe(forms: Sequence[HtmlForm]) -> list[str]:
    return [f"{f.template} ({', '.join(f.text_fields)}) as {f.role}" for f in forms]
