"""sqlmap on every parameter of a live loopback Kindred.

A target is one URL with the parameters to test there: the query parameters of an API
list operation or of an HTML page with search, sort or filter (as the views really read
them: recorder.py), a path id (marked ``*``), the fields of a JSON body, or one field of
an HTML POST form (forms.py: url-encoded body, session cookie, and a fresh CSRF token
fetched from the form's page: sqlmap's ``--csrf-token``/``--csrf-url``). Each sqlmap
run is bounded (level 1, risk 1, 1 s time-based delay, 5 s timeout, no retries, and a
wall-clock cap); the whole part has a total cap too.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import parse_qsl, quote, urlencode, urlsplit
from urllib.request import Request, urlopen

from kindred.security.fuzz.live import LOOPBACK

SQLMAP_OPTIONS = (
    "--batch",
    "--level=1",
    "--risk=1",
    "--time-sec=1",
    # A loaded machine (a test suite beside the run) can hold an answer for seconds:
    # with 5 s and no retry, sqlmap gave up on the canary ("connection timed out") and
    # the run could not check. Time-based tests use --time-sec, not this.
    "--timeout=30",
    "--retries=2",
    "--technique=BEUST",
    "--dbms=PostgreSQL",
    "--skip-waf",
    "--flush-session",
    "--disable-coloring",
    "--threads=1",
)

#: A parameter sqlmap really tested: where it is (never Cookie: level 1 leaves cookies
#: alone), its name, then what it concluded about it.
_TESTED = re.compile(
    r"(?:GET|POST|URI|JSON|\(custom\) POST) parameter '([^']+)' "
    r"(?:is dynamic|does not appear to be dynamic|does not seem to be injectable"
    r"|appears to be|is '|might be)"
)
_POINT = re.compile(r"^Parameter: (.+?) \((.+)\)\s*$", re.MULTILINE)
#: Django's CSRF form field, and how a rendered page carries it.
CSRF_FIELD = "csrfmiddlewaretoken"
_CSRF_INPUT = re.compile(
    r'<input[^>]*name="csrfmiddlewaretoken"[^>]*value="([^"]+)"'
    r'|<input[^>]*value="([^"]+)"[^>]*name="csrfmiddlewaretoken"'
)


@dataclass(frozen=True)
class Target:
    """One sqlmap run: ``url`` (with ``*`` marking a path injection point), the
    parameters to test, and how to authenticate."""

    label: str
    url: str
    parameters: tuple[str, ...]
    headers: tuple[str, ...] = ()
    cookie: str = ""
    data: str = ""  # a JSON body, or a url-encoded form body when csrf_url is set (POST)
    csrf_url: str = ""  # a form's page: where a fresh CSRF token is read before requests

    @property
    def form(self) -> bool:
        return bool(self.csrf_url)

    def command(self, output_dir: Path) -> list[str]:
        for url in filter(None, (self.url, self.csrf_url)):
            if urlsplit(url).hostname != LOOPBACK:
                raise ValueError(f"sqlmap only ever targets {LOOPBACK}: {url}")
        args = [sys.executable, "-m", "sqlmap.sqlmap", "-u", self.url, *SQLMAP_OPTIONS]
        args += [f"--output-dir={output_dir}"]
        if self.parameters and "*" not in self.url:
            args += ["-p", ",".join(self.parameters)]
        if self.headers:
            args += ["--headers", "\n".join(self.headers)]
        if self.cookie:
            args += ["--cookie", self.cookie]
        if self.data:
            args += ["--data", self.data]  # a body: sqlmap posts it
            if not self.csrf_url:
                args += ["--method", "POST"]
            # (Not with --csrf-url: an explicit --method makes sqlmap 1.10 send its token
            # fetch as a POST with an empty body, which Django's CSRF check refuses.)
        if self.csrf_url:
            # GET the page for the token: sqlmap would otherwise use the target's method
            # (POST, without a body) when the page is also where the form posts.
            args += [
                f"--csrf-token={CSRF_FIELD}",
                f"--csrf-url={self.csrf_url}",
                "--csrf-method=GET",
                "--csrf-retries=2",  # a slow page (5 s timeout) must not end the run
            ]
            # A form that succeeds redirects (to the new client, the list, ...): follow it
            # as a browser would, with a GET, never re-posting the body to that page.
            args += ["--answers=resend original POST data=N"]
        return args


@dataclass
class Outcome:
    target: Target
    tested: set[str] = field(default_factory=set)
    injectable: set[str] = field(default_factory=set)
    timed_out: bool = False
    error: str = ""
    evidence: str = ""
    seconds: float = 0.0


def parse(output: str) -> tuple[set[str], set[str]]:
    """(parameters sqlmap tested, parameters it found injectable) from its output."""
    tested = {m.group(1) for m in _TESTED.finditer(output)}
    injectable: set[str] = set()
    if "identified the following injection point" in output:
        injectable = {m.group(1) for m in _POINT.finditer(output)}
    return tested, injectable


def sqlmap_runs() -> bool:
    try:
        done = subprocess.run(
            [sys.executable, "-m", "sqlmap.sqlmap", "--version"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def run_one(target: Target, *, seconds: float) -> Outcome:
    outcome = Outcome(target)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kindred-sqlmap-") as out:
        try:
            done = subprocess.run(  # noqa: S603 - fixed sqlmap options, loopback URL only
                target.command(Path(out)),
                capture_output=True,
                text=True,
                timeout=seconds,
                check=False,
                stdin=subprocess.DEVNULL,
            )
            output = done.stdout + done.stderr
        except subprocess.TimeoutExpired as exc:
            outcome.timed_out = True
            raw = exc.stdout or b""
            output = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
    outcome.tested, outcome.injectable = parse(output)
    if outcome.injectable:  # keep sqlmap's own account of the injection point for review
        start = output.find("identified the following injection point")
        outcome.evidence = output[start : start + 1500]
    if not outcome.tested and not outcome.timed_out:
        outcome.error = output[-800:]
    outcome.seconds = round(time.monotonic() - started, 1)
    return outcome


def run_all(
    targets: Sequence[Target],
    *,
    per_run_seconds: float,
    total_seconds: float,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[Outcome], list[Target]]:
    """Run the targets in order until the total cap; returns the outcomes and the targets
    left untested for lack of time."""
    deadline = time.monotonic() + total_seconds
    outcomes: list[Outcome] = []
    for index, target in enumerate(targets):
        left = deadline - time.monotonic()
        if left < 5:
            return outcomes, list(targets[index:])
        if progress:
            progress(f"sqlmap {index + 1}/{len(targets)}: {target.label}")
        outcomes.append(run_one(target, seconds=min(per_run_seconds, left)))
    return outcomes, []


def query_target(
    label: str,
    base_url: str,
    path: str,
    parameters: Sequence[str],
    *,
    headers: Sequence[str] = (),
    cookie: str = "",
    values: dict[str, str] | None = None,
) -> Target:
    """A GET target: every parameter gets a harmless starting value (``values``, else
    ``1``)."""
    query = urlencode({name: (values or {}).get(name, "1") for name in parameters})
    return Target(
        label=label,
        url=f"{base_url}{path}?{query}",
        parameters=tuple(parameters),
        headers=tuple(headers),
        cookie=cookie,
    )


def json_target(
    label: str,
    base_url: str,
    path: str,
    body: dict[str, object],
    *,
    headers: Sequence[str] = (),
    cookie: str = "",
) -> Target:
    return Target(
        label=label,
        url=f"{base_url}{path}",
        parameters=tuple(body),
        headers=(*headers, "Content-Type: application/json"),
        cookie=cookie,
        data=json.dumps(body),
    )


def form_target(
    label: str,
    base_url: str,
    action: str,
    body: str,
    field: str,
    *,
    page: str,
    cookie: str,
) -> Target:
    """One field of an HTML POST form: ``body`` is the url-encoded form as a browser
    sends it (with a CSRF token valid for ``cookie``); sqlmap reads a fresh token from
    ``page`` before its requests."""
    return Target(
        label=label,
        url=f"{base_url}{action}",
        parameters=(field,),
        cookie=cookie,
        data=body,
        csrf_url=f"{base_url}{page}",
    )


def path_target(
    label: str,
    base_url: str,
    path: str,
    *,
    headers: Sequence[str] = (),
    cookie: str = "",
) -> Target:
    """``path`` with one segment marked ``*`` (sqlmap's custom injection point)."""
    return Target(
        label=label,
        url=f"{base_url}{path}",
        parameters=("#1*",),
        headers=tuple(headers),
        cookie=cookie,
    )


# --- Confirmation of a reported injection -------------------------------------------------
#
# sqlmap's boolean-based blind test concludes "injectable" when the page for its TRUE
# payload (``1 AND 4869=4869``) differs from the page for its FALSE one (``1 AND
# 4869=4870``). A text search that treats the value as words (an ORM filter per word) can
# show that difference too: the two payloads are different words. So a boolean-only
# finding on a GET parameter is confirmed by a differential of our own before it is
# reported: the same payload with the condition swapped for
#   * another tautology with other numbers (``K=K``): must give the TRUE page;
#   * a true and a false comparison of the SAME two numbers (``N<M`` / ``N>M``): the
#     words are identical, only SQL evaluation tells them apart, so they must give the
#     TRUE and the FALSE page respectively;
# and the TRUE and FALSE pages must differ. A page that changes between two identical
# requests gives no verdict (kept as reported). Any miss: "not confirmed (the search text
# changes the page)", a note and not a finding. Findings with another technique (error-
# based, UNION, stacked, time-based) or whose payload cannot be rebuilt stay findings.

_TECHNIQUE = re.compile(r"^\s*Type: (.+?)\s*$", re.MULTILINE)
_PAYLOAD = re.compile(r"^\s*Payload: (.+?)\s*$", re.MULTILINE)
_TAUTOLOGY = re.compile(r"\b(\d+)=\1\b")
#: Per-request noise removed before pages are compared: CSP nonces (22 characters),
#: CSRF tokens, long ids.
_NOISE = re.compile(r'nonce="[^"]*"|[A-Za-z0-9_+/-]{20,}')
BOOLEAN = "boolean-based blind"


@dataclass(frozen=True)
class Confirmation:
    parameter: str
    confirmed: bool
    reason: str
    techniques: tuple[str, ...] = ()


def injection_points(evidence: str) -> dict[str, list[tuple[str, str]]]:
    """sqlmap's account -> parameter -> [(technique, payload)]."""
    points: dict[str, list[tuple[str, str]]] = {}
    blocks = re.split(r"^Parameter: ", evidence, flags=re.MULTILINE)[1:]
    for block in blocks:
        name = block.split(" (", 1)[0].strip()
        types = _TECHNIQUE.findall(block)
        payloads = _PAYLOAD.findall(block)
        points.setdefault(name, []).extend(zip(types, payloads, strict=False))
    return points


def _fetch(target: Target, url: str, body: bytes | None = None) -> tuple[int, str]:
    if urlsplit(url).hostname != LOOPBACK:
        raise ValueError(f"confirmation only ever targets {LOOPBACK}: {url}")
    request = Request(url, data=body)  # noqa: S310 - loopback only (checked above)
    if body is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    for header in target.headers:
        key, _, value = header.partition(":")
        request.add_header(key.strip(), value.strip())
    if target.cookie:
        request.add_header("Cookie", target.cookie)
    try:
        with urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
            return response.status, response.read().decode(errors="replace")
    except HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def fresh_csrf_token(target: Target) -> str:
    """The CSRF token of the form's page as the target's session sees it now ("" when the
    page has none)."""
    _, page = _fetch(target, target.csrf_url)
    match = _CSRF_INPUT.search(page)
    return html.unescape(match.group(1) or match.group(2)) if match else ""


def _submit_form(target: Target, parameter: str, value: str) -> tuple[int, str]:
    """The form posted as sqlmap posts it: ``parameter`` set to ``value``, a fresh token."""
    fields = parse_qsl(target.data, keep_blank_values=True)
    token = fresh_csrf_token(target)
    sent = [
        (name, value if name == parameter else token if name == CSRF_FIELD and token else old)
        for name, old in fields
    ]
    return _fetch(target, target.url, urlencode(sent).encode())


def _page(target: Target, parameter: str, value: str) -> tuple[int, str]:
    if target.form:
        status, body = _submit_form(target, parameter, value)
    else:
        parts = urlsplit(target.url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        query[parameter] = value
        status, body = _fetch(target, parts._replace(query=urlencode(query)).geturl())
    for shown in {value, html.escape(value), html.escape(value, quote=False), quote(value)}:
        body = body.replace(shown, "\x00")  # the value reflected back (a search box)
    body = body.replace(json.dumps(value)[1:-1], "\x00")
    return status, _NOISE.sub("\x01", body)


def differential(target: Target, parameter: str, payload_value: str) -> tuple[bool, str]:
    """(confirmed, why) for sqlmap's boolean payload (the value alone, e.g.
    ``1' AND 4869=4869 AND 'a'='a``)."""
    match = _TAUTOLOGY.search(payload_value)
    if match is None:
        return True, "payload not rebuildable: kept as reported"
    n = int(match.group(1))
    m, k = n + 1, n + 7919 if n < 50000 else n - 7919

    def with_condition(condition: str) -> tuple[int, str]:
        value = payload_value[: match.start()] + condition + payload_value[match.end() :]
        return _page(target, parameter, value)

    true_page, false_page = with_condition(f"{n}={n}"), with_condition(f"{n}={m}")
    if with_condition(f"{n}={n}") != true_page:  # the page changes by itself: no verdict
        return True, "page differs between identical requests: kept as reported"
    if true_page == false_page:
        return False, "not confirmed: the TRUE and FALSE payloads give the same page"
    if with_condition(f"{k}={k}") != true_page:
        return False, "not confirmed (search text changes the page): another tautology differs"
    if with_condition(f"{n}<{m}") != true_page or with_condition(f"{n}>{m}") != false_page:
        return False, (
            "not confirmed (search text changes the page): the same words compared true "
            "and false do not give the TRUE and FALSE pages"
        )
    return True, "confirmed: the page follows SQL truth, not the words"


def _sent_names(target: Target) -> set[str]:
    sent = target.data if target.form else urlsplit(target.url).query
    return {name for name, _ in parse_qsl(sent, keep_blank_values=True)}


def payload_value(payload: str, name: str, names: set[str]) -> str:
    """The value sqlmap gave ``name`` in its ``Payload:`` line, which shows the whole query
    or form body unencoded (``csrfmiddlewaretoken=...&name=Fuzz' AND 1=1 AND 'a'='a&x=1``):
    from ``name=`` to the next ``&<another sent name>=`` ("" when ``name`` is not there)."""
    start = 0 if payload.startswith(f"{name}=") else payload.find(f"&{name}=") + 1
    if start == 0 and not payload.startswith(f"{name}="):
        return ""
    value_start = start + len(name) + 1
    ends = [
        found
        for other in names - {name}
        if (found := payload.find(f"&{other}=", value_start)) != -1
    ]
    return payload[value_start : min(ends, default=len(payload))]


def confirm(outcome: Outcome) -> list[Confirmation]:
    """One Confirmation per parameter sqlmap reported injectable."""
    points = injection_points(outcome.evidence)
    result: list[Confirmation] = []
    for name in sorted(outcome.injectable):
        found = points.get(name, [])
        techniques = tuple(t for t, _ in found)
        boolean = [p for t, p in found if t == BOOLEAN]
        others = [t for t in techniques if t != BOOLEAN]
        target = outcome.target
        is_get = bool(target.url) and f"{name}=" in urlsplit(target.url).query
        is_form_field = target.form and name in dict(parse_qsl(target.data))
        if others or not boolean or not ((is_get and not target.data) or is_form_field):
            why = "reported by " + (", ".join(others) if others else "sqlmap") + ": kept"
            result.append(Confirmation(name, confirmed=True, reason=why, techniques=techniques))
            continue
        value = payload_value(boolean[0], name, _sent_names(target))
        if not value:
            result.append(
                Confirmation(
                    name, confirmed=True, reason="payload not parsed: kept", techniques=techniques
                )
            )
            continue
        try:
            confirmed, why = differential(outcome.target, name, value)
        except (OSError, ValueError) as exc:
            confirmed, why = True, f"confirmation failed ({exc}): kept"
        result.append(Confirmation(name, confirmed=confirmed, reason=why, techniques=techniques))
    return result
