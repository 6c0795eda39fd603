"""The machinery of the authorization matrix: every URL pattern of a resolver, the cells
of a row (person x object x method), the request each cell sends, and the judgement of
its answer against the outcome the row's rule predicts.

It judges; it never decides what is allowed. That is the table's job (``table.py``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from django.db import connection, transaction
from django.http import HttpResponseBase
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from .rules import Row, Side, Who
from .world import MISSING_ID, Bearer, World

SAFE = ("GET", "HEAD", "OPTIONS")
UNSAFE_FULL = ("POST", "PUT", "PATCH", "DELETE")
# Tables whose rows a denied request may add: the audit trail records the denied attempt,
# sessions and throttles count it.
FINGERPRINT_SKIP = ("audit_", "django_session", "usersessions_", "django_cache", "axes_")
# Paths asked with each person's API token too, when the world holds tokens: the REST
# API and the FHIR API (both take tokens).
API_PREFIXES = ("/api/", "/fhir/")


@dataclass(frozen=True)
class Pattern:
    key: str  # "namespace:name", or the route when unnamed
    route: str
    name: str  # the name to reverse (with namespaces), "" when unnamed


def url_patterns(resolver: URLResolver | None = None) -> list[Pattern]:
    """Every URL pattern reachable from ``resolver`` (the project's by default)."""
    found: list[Pattern] = []

    def walk(res: URLResolver, prefix: str, ns: str) -> None:
        for p in res.url_patterns:
            if isinstance(p, URLResolver):
                inner = ns
                if p.namespace:
                    inner = f"{ns}:{p.namespace}" if ns else p.namespace
                walk(p, prefix + str(p.pattern), inner)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                name = f"{ns}:{p.name}" if (ns and p.name) else (p.name or "")
                found.append(Pattern(key=name or route, route=route, name=name))

    walk(resolver or get_resolver(), "", "")
    return found


@dataclass(frozen=True)
class Cell:
    who: Who
    side: Side
    kind: str  # "A" (own side), "B" (other side), "missing", "mixed", "none"
    method: str
    url: str
    allowed: bool
    must_404: bool  # denied to someone who may use the URL for other objects: not yours = 404
    auth: str = "session"  # "session", or "token": the person's API token and no session
    # A token cell whose token may not use the operation at all (the view declares no
    # scope for the method, or one the person's roles do not give): 401/403 for anyone.
    scope_refused: bool = False


@dataclass
class Finding:
    pattern: str
    who: str
    cell: str
    method: str
    url: str
    expected: str
    got: str
    detail: str = ""
    auth: str = "session"


@dataclass
class RowResult:
    pattern: str
    cells: int = 0
    requests: int = 0
    denied_cells: int = 0
    unsafe_checked: int = 0
    token_requests: int = 0
    findings: list[Finding] = field(default_factory=list)
    skipped_slots: list[str] = field(default_factory=list)


def _kwargs_for(row: Row, world: World, side: Side) -> dict[str, Any] | None:
    values: dict[str, Any] = dict(row.fixed)
    for kwarg, slot_name in row.slots.items():
        slot = world.slots.get(slot_name)
        if slot is None:
            return None
        values[kwarg] = slot.id_for(side)
    return values


def _target(row: Row) -> str:
    return row.target or list(row.slots)[-1]


def cells_for(
    pattern: Pattern, row: Row, world: World, *, full: bool = False
) -> tuple[list[Cell], list[str]]:
    """The cells of one row and the names of the slots it could not fill."""
    if not pattern.name:
        raise ValueError(f"{pattern.route}: unnamed patterns cannot be reversed")
    skipped = [s for s in row.slots.values() if s not in world.slots]
    objects: list[tuple[str, Side, dict[str, Any]]] = []
    if not row.slots:
        objects.append(("none", Side.NONE, dict(row.fixed)))
    else:
        for side in (Side.A, Side.B):
            kwargs = _kwargs_for(row, world, side)
            if kwargs is not None:
                objects.append((side.value, side, kwargs))
        base = _kwargs_for(row, world, Side.A)
        if base is None:  # some slot unbuilt: still ask about a missing object
            base = dict(row.fixed) | dict.fromkeys(row.slots, MISSING_ID)
        objects.append(("missing", Side.A, base | {_target(row): MISSING_ID}))
        if len(row.slots) > 1:
            a = _kwargs_for(row, world, Side.A)
            b = _kwargs_for(row, world, Side.B)
            if a is not None and b is not None and a[_target(row)] != b[_target(row)]:
                objects.append(("mixed", Side.A, a | {_target(row): b[_target(row)]}))
    cells: list[Cell] = []
    for kind, side, kwargs in objects:
        url = reverse(pattern.name, kwargs=kwargs)
        for who in Who:
            cells += _cells_of(row, who, side, kind, url)
    return (cells if full else sample(row, cells)), skipped


def _cells_of(row: Row, who: Who, side: Side, kind: str, url: str) -> list[Cell]:
    if kind in ("A", "B", "none"):
        allowed = row.rule.allows(who, side)
        must_404 = not allowed and who is not Who.ANONYMOUS and row.rule.allows_somewhere(who)
    else:  # a missing object, or a child that is not the parent's
        allowed = False
        must_404 = who is not Who.ANONYMOUS and row.rule.allows_somewhere(who)
    cells = [Cell(who, side, kind, row.method, url, allowed, must_404)]
    if not allowed:
        # The rule speaks of the row's method; who may write with another one is not
        # stated, so a refusal may be a 403 (no such capability) as well as a 404.
        writes = row.writes
        if writes is not None and kind in ("A", "B", "none") and writes.allows(who, side):
            return cells  # a write this person may make: not sent (it would change data)
        cells += [
            Cell(who, side, kind, m, url, allowed, must_404=False)
            for m in UNSAFE_FULL
            if m != row.method
        ]
    return cells


# The people of the quick run: the seven of SECURITY.md's matrix.
QUICK_PEOPLE = (
    Who.ANONYMOUS,
    Who.MEMBER,
    Who.MEMBER_B,
    Who.FACILITATOR,
    Who.FACILITATOR_B,
    Who.COORDINATOR,
    Who.ADMIN,
)


def sample(row: Row, cells: list[Cell]) -> list[Cell]:
    """The quick run's cells (the full run sends them all): the seven people of
    SECURITY.md on the own side with the row's method; the other side for whoever is
    allowed on one side and not the other (the "not yours" cells); a missing object for
    the first person allowed somewhere; and for a GET row, a POST for those "not yours"
    cells, checked for changes."""
    chosen: list[Cell] = []
    split = {
        c.who
        for c in cells
        if c.kind in ("A", "B") and row.rule.allows(c.who, Side.A) != row.rule.allows(c.who, Side.B)
    }
    first_allowed = next((w for w in QUICK_PEOPLE if row.rule.allows_somewhere(w)), None)
    for c in cells:
        if c.who not in QUICK_PEOPLE:
            continue
        primary = c.method == row.method
        own = c.kind in ("A", "none") and primary
        others = c.kind == "B" and c.who in split and (primary or c.method == "POST")
        missing = c.kind == "missing" and primary and c.who is first_allowed
        if own or others or missing:
            chosen.append(c)
    return chosen


_SCOPE_FREE = "-"  # a view that does not gate tokens by scope (its own permission decides)


def required_scope(url: str, method: str) -> str | None:
    """The token scope the API view behind ``url`` declares for ``method`` (None: none,
    or a session-only view, so it refuses tokens; ``_SCOPE_FREE``: the view does not use
    the scope gate)."""
    from rest_framework.permissions import SAFE_METHODS

    from kindred.api.permissions import HasTokenScope
    from kindred.api.v1.accounts import SessionOnly

    view = resolve(urlsplit(url).path).func
    view_class = getattr(view, "cls", None)
    permissions = getattr(view_class, "permission_classes", ())
    if SessionOnly in permissions:  # tokens never manage tokens
        return None
    if view_class is None or HasTokenScope not in permissions:
        return _SCOPE_FREE
    scopes: dict[str, str] = getattr(view_class, "required_scopes", None) or {}
    return scopes.get("read" if method in SAFE_METHODS else "write")


def token_cells(cells: Sequence[Cell], bearers: Mapping[Who, Bearer]) -> list[Cell]:
    """The same cells asked with the person's API token instead of the session, for the
    API's paths and the people who hold a token. Each keeps its expectation, unless the
    token may not use the operation at all (then 401/403 whoever asks)."""
    twins: list[Cell] = []
    for c in cells:
        bearer = bearers.get(c.who)
        if bearer is None or not urlsplit(c.url).path.startswith(API_PREFIXES):
            continue
        needed = required_scope(c.url, c.method)
        refused = needed != _SCOPE_FREE and (needed is None or needed not in bearer.scopes)
        twins.append(replace(c, auth="token", scope_refused=refused))
    return twins


def _login_path() -> str:
    return reverse("account_login")


def classify(response: HttpResponseBase) -> str:  # noqa: PLR0911 (one per outcome)
    status = response.status_code
    if 300 <= status < 400:
        location = urlsplit(response.get("Location", "")).path
        return "login" if location == _login_path() else "redirect"
    if 200 <= status < 300:
        return "ok"
    if status in (401, 403):
        return "denied"
    if status == 404:
        return "not_found"
    if status == 405:
        return "not_offered"
    if status >= 500:
        return "error"
    return "client_error"


def judge(cell: Cell, outcome: str, row: Row) -> str | None:  # noqa: PLR0911
    """None when the outcome is what the rule predicts, else what was expected."""
    if outcome == "error":
        return "no server error"
    if cell.scope_refused:
        return None if outcome in ("denied", "not_offered") else "401/403 (the token's scopes)"
    if cell.allowed:
        if outcome in ("ok", "redirect", "client_error", "not_offered"):
            return None
        if outcome == "not_found" and row.absent_ok:
            return None
        return "allowed (2xx/3xx/400/405, not 401/403/404 or sign-in)"
    accepted = {"denied", "not_found", "not_offered"}
    if cell.who is Who.ANONYMOUS:
        accepted.add("login")
    if row.denied_redirect:
        accepted.add("redirect")
        accepted.add("login")
    if cell.must_404:
        accepted.discard("denied")
    if outcome in accepted:
        return None
    if cell.must_404:
        return "404 (not yours)"
    return "sign-in/401/403/404" if cell.who is Who.ANONYMOUS else "403/404"


def _fingerprint_sql() -> str:
    tables = [
        t
        for t in connection.introspection.table_names(include_views=False)
        if not t.startswith(FINGERPRINT_SKIP)
    ]
    quote = connection.ops.quote_name
    parts = [f"(SELECT COUNT(*) FROM {quote(t)})" for t in sorted(tables)]  # noqa: S608
    # Table names come from the database's own catalogue, quoted: no outside input.
    return "SELECT " + ", ".join(parts)


_FINGERPRINT: dict[str, str] = {}


def fingerprint(row: Row, world: World, side: Side) -> tuple[Any, ...]:
    """Row counts of every table that a denied request must not touch, and the full
    values of the objects the URL names."""
    sql = _FINGERPRINT.get(connection.vendor)
    if sql is None:
        sql = _FINGERPRINT[connection.vendor] = _fingerprint_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        counts = tuple(cursor.fetchone() or ())
    objects: list[str] = []
    for slot_name in row.slots.values():
        slot = world.slots.get(slot_name)
        if slot is not None:
            values = list(slot.model._default_manager.filter(pk=slot.pk_for(side)).values())
            objects.append(json.dumps(values, default=str, sort_keys=True))
    return counts, tuple(objects)


def send(http: HttpClient, method: str, url: str) -> HttpResponseBase:
    is_api = url.startswith(("/api/", "/fhir/"))
    if method == "GET":
        return http.get(url)
    if is_api:
        return http.generic(method, url, data=b"{}", content_type="application/json")
    if method == "POST":
        return http.post(url, data={})
    return http.generic(method, url, data=b"", content_type="application/x-www-form-urlencoded")


def run_row(
    pattern: Pattern,
    row: Row,
    world: World,
    clients: dict[Who, HttpClient],
    *,
    full: bool = False,
    bearers: Mapping[Who, Bearer] | None = None,
) -> RowResult:
    """Send every cell of ``row`` and judge each answer. Each request runs in a savepoint
    that is rolled back, so one cell cannot change what the next one sees. With
    ``bearers``, the API's cells are sent again with each person's API token."""
    result = RowResult(pattern=pattern.key)
    cells, result.skipped_slots = cells_for(pattern, row, world, full=full)
    if bearers:
        cells += token_cells(cells, bearers)
    for cell in cells:
        result.cells += 1
        http = clients[cell.who]
        if cell.auth == "token" and bearers:
            http = bearers[cell.who].http
            result.token_requests += 1
        if not cell.allowed:
            result.denied_cells += 1
        unsafe = cell.method not in SAFE
        before = fingerprint(row, world, cell.side) if unsafe and not cell.allowed else None
        try:
            with transaction.atomic():
                response = send(http, cell.method, cell.url)
                outcome = classify(response)
                after = fingerprint(row, world, cell.side) if before is not None else None
                transaction.set_rollback(True)
        except Exception as exc:  # a view that raises is a finding, not a crash
            outcome, after = "error", None
            detail = f"{type(exc).__name__}: {exc}"[:300]
        else:
            detail = f"status {response.status_code}"
            if outcome in ("redirect", "login"):
                detail += f" -> {response.get('Location', '')}"
        result.requests += 1
        expected = judge(cell, outcome, row)
        if before is not None:
            result.unsafe_checked += 1
            if after is not None and after != before and expected is None:
                expected = "nothing changed"
                outcome = "changed"
                detail += f"; {_diff(before, after)}"
        if expected is not None:
            result.findings.append(
                Finding(
                    pattern=pattern.key,
                    who=cell.who.value,
                    cell=cell.kind,
                    method=cell.method,
                    url=cell.url,
                    expected=expected,
                    got=outcome,
                    detail=detail,
                    auth=cell.auth,
                )
            )
    return result


def _diff(before: tuple[Any, ...], after: tuple[Any, ...]) -> str:
    if before[0] != after[0]:
        return "row counts changed"
    return "the named object changed"


def coverage(patterns: Sequence[Pattern], rows: dict[str, Row]) -> tuple[list[str], list[str]]:
    """Patterns without a row, and rows whose pattern no longer exists."""
    keys = {p.key for p in patterns}
    return sorted(keys - set(rows)), sorted(set(rows) - keys)


RESULTS_ENV = "KINDRED_AUTHZ_RESULTS"


def record(result: RowResult) -> None:
    """Append ``result`` as one JSON line to the file named by $KINDRED_AUTHZ_RESULTS (the
    command-line report reads it; it works across pytest-xdist workers)."""
    path = os.environ.get(RESULTS_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(asdict(result)) + "\n")


def findings_json(findings: Sequence[Finding]) -> list[dict[str, str]]:
    return [asdict(f) for f in findings]


def iter_rows(patterns: Sequence[Pattern], rows: dict[str, Row]) -> Iterator[tuple[Pattern, Row]]:
    for p in patterns:
        if p.key in rows:
            yield p, rows[p.key]
