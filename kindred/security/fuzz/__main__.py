"""``python -m kindred.security.fuzz --out FILE.json [--full]``: the fuzz part of the
security battery against a live loopback Kindred (docs/security.md).

1. A throwaway PostgreSQL database (kindred_fuzz_<pid>), migrated, with the test cast.
2. gunicorn on 127.0.0.1:<free port> (live_settings: records the query keys views read)
   and a canary server (canary_settings: one view concatenating SQL).
3. Every HTML page and API GET is walked once per role with ``?_probe=1``: the recorder
   notes the parameters each view reads, and the POST forms with text inputs on the
   pages each signed-in role sees are kept (forms.py).
4. sqlmap: the canaries first (the concatenating query parameter and form field must be
   found injectable and confirmed, the bound and the word-sensitive search ones must not
   be reported, else the harness is broken and the run exits 2), then every query
   parameter of every API list operation and HTML page that reads one, path ids and a
   representative set of JSON body fields, then the HTML POST forms field by field (with
   the session cookie and a fresh CSRF token from the form's page; quick: one form per
   site section in turn up to six, one field each; --full: every form and field). Each
   "injectable" is confirmed (sqli.confirm) before it is a finding; one not confirmed is
   a note.
5. Schemathesis: every operation as every role (bounded examples and time), after
   sqlmap because its writes (an archived client, a cancelled group) hide pages.
6. The schema gate over everything the server recorded.

Exit 0: nothing found; 1: findings; 2: could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kindred.security.fuzz.live import (
    CANARY_SETTINGS,
    LIVE_SETTINGS,
    CannotRun,
    Gunicorn,
    ThrowawayDatabase,
    migrate,
    server_env,
)

if TYPE_CHECKING:
    from kindred.core.testing import Cast
    from kindred.security.fuzz.forms import FormPlan, HtmlForm
    from kindred.security.fuzz.openapi import Operation
    from kindred.security.fuzz.roles import Credential
    from kindred.security.fuzz.sqli import Outcome, Target

QUICK = {
    "examples": 1,
    "schemathesis_seconds": 600,
    "sqlmap_targets": 12,
    "sqlmap_seconds": 600,
    "forms": 6,  # a representative set: one form per site section in turn
    "fields_per_form": 1,
    "forms_seconds": 300,
}
FULL = {
    "examples": 3,
    "schemathesis_seconds": 1500,
    "sqlmap_targets": 10_000,
    "sqlmap_seconds": 1800,
    "forms": 0,  # 0: every form, every text field
    "fields_per_form": 0,
    "forms_seconds": 1800,  # the part's whole --full run must stay within 3600 s
}
PER_SQLMAP_RUN = 150.0
#: HTML prefixes not walked: the API (fuzzed through its schema), sign-in flows, files.
SKIP_PAGES = ("/api/", "/fhir/", "/accounts/", "/static/", "/bench/", "/canary/", "/media/")
#: Representative JSON bodies for sqlmap (path, body); values are valid starting points.
JSON_BODIES: tuple[tuple[str, dict[str, object]], ...] = (
    (
        "/api/v1/clients/",
        {
            "legal_first_name": "Sam",
            "legal_last_name": "Fuzz",
            "date_of_birth": "1990-01-01",
            "state_of_residence": "IL",
            "email": "sam.fuzz@example.test",
        },
    ),
    (
        "/api/v1/referrals/",
        {
            "source": "clinician",
            "referrer_name": "Dr Probe",
            "first_name": "Robin",
            "last_name": "Probe",
            "state": "IL",
            "email": "robin.probe@example.test",
        },
    ),
    ("/api/v1/concerns/", {"name": "Sleep"}),
    ("/api/v1/locations/", {"name": "North office", "address_line1": "1 Main St"}),
)


def _log(text: str) -> None:
    sys.stderr.write(f"[fuzz {time.strftime('%H:%M:%S')}] {text}\n")
    sys.stderr.flush()


def _setup_django(database_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = LIVE_SETTINGS
    os.environ["KINDRED_TESTING"] = "1"
    os.environ["DATABASE_URL"] = database_url
    os.environ["CONN_MAX_AGE"] = "0"
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def _http_session(credential: Credential) -> Any:
    import requests

    session = requests.Session()
    session.headers.update(credential.headers)
    for name, value in credential.cookies.items():
        session.cookies.set(name, value, domain="127.0.0.1")
    return session


def _auth(credential: Credential) -> tuple[tuple[str, ...], str]:
    headers = tuple(f"{k}: {v}" for k, v in credential.headers.items())
    cookie = "; ".join(f"{k}={v}" for k, v in credential.cookies.items())
    return headers, cookie


def _pages(known_ids: dict[str, Any]) -> list[str]:
    from kindred.security.fuzz.completeness import concrete_path
    from kindred.security.fuzz.openapi import served_endpoints

    found: list[str] = []
    for endpoint in served_endpoints(prefixes=("/",)):
        template = endpoint.template
        if template.startswith(SKIP_PAGES) or "(" in template:
            continue
        names = re.findall(r"\{([^}]+)\}", template)
        if all(name in known_ids for name in names):
            found.append(concrete_path(template, known_ids))
    return sorted(set(found))


def _walk(
    base_url: str,
    ops: list[Operation],
    creds: list[Credential],
    known_ids: dict[str, Any],
    deadline: float,
) -> tuple[dict[str, str], list[HtmlForm]]:
    """GET every page and API GET operation as the staff admin, a facilitator and the
    member with ``?_probe=1``; returns page path -> the role that got a 200 first, and
    the POST forms with text inputs on the HTML pages each role got."""
    from kindred.security.fuzz.completeness import PROBE_KEY, concrete_path
    from kindred.security.fuzz.forms import parse_forms

    pages = _pages(known_ids)
    api = [concrete_path(op.path, known_ids) for op in ops if op.method == "get"]
    first_ok: dict[str, str] = {}
    forms: list[HtmlForm] = []
    for credential in creds:
        http = _http_session(credential)
        for path in [*pages, *api]:
            if time.monotonic() > deadline:
                return first_ok, forms
            response = http.get(
                f"{base_url}{path}?{PROBE_KEY}=1", timeout=30, allow_redirects=False
            )
            if response.status_code != 200:
                continue
            if path not in first_ok:
                first_ok[path] = credential.role
            if credential.kind == "session" and "html" in response.headers.get("Content-Type", ""):
                forms += parse_forms(response.text, path, role=credential.role)
    return first_ok, forms


#: Query parameters that name a row, and the known id that fills them.
ID_PARAMETERS = {
    "client": "client_id",
    "group": "group_id",
    "session": "session_id",
    "enrollment": "enrollment_id",
    "clinician": "clinician_id",
    "user": "user_id",
}


def starting_values(
    params: list[str],
    known_ids: dict[str, Any],
    answers: Callable[[dict[str, str]], bool],
) -> dict[str, str]:
    """Starting values sqlmap's first request is answered with (it gives up on a 404):
    ids of real rows for parameters that name one, else ``1``; if that is not answered,
    the id-like parameters empty (no row given), then all of them ``1``. ``answers``
    sends a try and says whether it got a 2xx/3xx."""
    filled = {
        p: str(known_ids[ID_PARAMETERS[p]])
        if p in ID_PARAMETERS and ID_PARAMETERS[p] in known_ids
        else ("" if p in ID_PARAMETERS or p.endswith("_id") or p == "entry" else "1")
        for p in params
    }
    emptied = {p: ("" if v != "1" else v) for p, v in filled.items()}
    for values in (filled, emptied, dict.fromkeys(params, "1")):
        if answers(values):
            return values
    return filled


def _answers(base_url: str, path: str, headers: tuple[str, ...], cookie: str) -> Any:
    import requests

    def send(values: dict[str, str]) -> bool:
        sent = dict(h.split(": ", 1) for h in headers)
        if cookie:
            sent["Cookie"] = cookie
        try:
            response = requests.get(
                f"{base_url}{path}", params=values, headers=sent, timeout=60, allow_redirects=False
            )
        except requests.RequestException:
            return False
        return response.status_code < 400

    return send


def _sqlmap_targets(
    *,
    base_url: str,
    schema: dict[str, Any],
    ops: list[Operation],
    creds: list[Credential],
    known_ids: dict[str, Any],
    reads: dict[tuple[str, str], set[str]],
    first_ok: dict[str, str],
) -> list[Target]:
    from kindred.security.fuzz.completeness import FRAMEWORK_KEYS, PROBE_KEY, concrete_path
    from kindred.security.fuzz.recorder import ALL_KEYS
    from kindred.security.fuzz.roles import may_succeed
    from kindred.security.fuzz.sqli import json_target, path_target, query_target

    by_role = {c.role: c for c in creds}
    skip = {ALL_KEYS, PROBE_KEY, *FRAMEWORK_KEYS}
    targets: list[Target] = []
    api_paths = set(schema.get("paths", {}))
    # API list operations: the declared query parameters, as a role that may use them.
    for op in ops:
        if op.method != "get" or not op.query_parameters():
            continue
        names = re.findall(r"\{([^}]+)\}", op.path)
        if not all(name in known_ids for name in names):
            continue
        path = concrete_path(op.path, known_ids)
        # The role that got a 200 on this very path in the walk, else one the role table
        # says may use it (a member-only list may answer the facilitator, not the member).
        who = by_role.get(first_ok.get(path, "")) or next(
            (c for c in creds if c.kind != "anonymous" and may_succeed(c, op)), None
        )
        if who is None:
            continue
        headers, cookie = _auth(who)
        params = sorted(op.query_parameters() - skip)
        values = starting_values(params, known_ids, _answers(base_url, path, headers, cookie))
        targets.append(
            query_target(
                f"{op.label} as {who.role}",
                base_url,
                path,
                params,
                headers=headers,
                cookie=cookie,
                values=values,
            )
        )
    # HTML pages: the parameters their views read.
    for (template, method), keys in sorted(reads.items()):
        if method != "get" or template in api_paths or template.startswith(SKIP_PAGES):
            continue
        params = sorted(keys - skip)
        path = concrete_path(template, known_ids)
        role = first_ok.get(path)
        if not params or role is None:
            continue
        headers, cookie = _auth(by_role[role])
        values = starting_values(params, known_ids, _answers(base_url, path, headers, cookie))
        targets.append(
            query_target(
                f"GET {template} (page) as {role}",
                base_url,
                path,
                params,
                headers=headers,
                cookie=cookie,
                values=values,
            )
        )
    # Path ids: a string id (FHIR), a slug, integer ids of an API resource and a page.
    admin_headers, _ = _auth(by_role["admin"])
    _, admin_cookie = _auth(by_role["admin_session"]) if "admin_session" in by_role else ("", "")
    client_id = known_ids["client_id"]
    for label, path in (
        ("FHIR Patient id", f"/fhir/r4/Patient/{client_id}*"),
        ("API client id", f"/api/v1/clients/{client_id}*/"),
        ("API directory slug", f"/api/v1/directory/groups/{known_ids['slug']}*/"),
    ):
        targets.append(path_target(label, base_url, path, headers=admin_headers))
    if admin_cookie:
        targets.append(
            path_target("page client id", base_url, f"/clients/{client_id}*/", cookie=admin_cookie)
        )
    # JSON bodies of representative writes.
    for path, body in JSON_BODIES:
        targets.append(
            json_target(f"POST {path} body", base_url, path, body, headers=admin_headers)
        )
    return targets


def _canary_targets(canary_url: str) -> tuple[Target, Target, Target]:
    from kindred.security.fuzz.sqli import query_target

    return (
        query_target("canary (concatenated SQL)", canary_url, "/canary/sqli/", ["q"]),
        query_target("canary (bound parameter)", canary_url, "/canary/safe/", ["q"]),
        query_target("canary (word-sensitive search)", canary_url, "/canary/search/", ["q"]),
    )


def run(out: Path, *, full: bool, database_server: str) -> int:
    mode = FULL if full else QUICK
    started = time.monotonic()
    report: dict[str, Any] = {"part": "fuzz", "passed": False, "mode": "full" if full else "quick"}
    figures: dict[str, Any] = {
        "operations": 0,
        "roles": 0,
        "schemathesis_cases": 0,
        "server_errors": 0,
        "schema_violations": 0,
        "authz_violations": 0,
        "undeclared_parameters": 0,
        "sqlmap_targets": 0,
        "sqlmap_parameters_tested": 0,
        "sqlmap_injectable": 0,
        "sqlmap_not_confirmed": 0,
        "sqlmap_untested_targets": 0,
        "canary_caught": False,
        "canary_form_caught": False,
        "sqlmap_forms": {},
        "seconds": 0.0,
    }
    findings: list[dict[str, Any]] = []
    notes: list[str] = []
    report["figures"], report["findings"], report["notes"] = figures, findings, notes
    code = 2
    try:
        code = _run(mode, database_server, figures, findings, notes)
    except CannotRun as exc:
        findings.append({"kind": "could_not_run", "detail": str(exc)})
        code = 2
    figures["seconds"] = round(time.monotonic() - started, 1)
    report["passed"] = code == 0
    out.write_text(json.dumps(report, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    _log(f"wrote {out}: exit {code}")
    return code


def _canaries_caught(
    canary_url: str,
    admin_cookie: tuple[str, str],
    figures: dict[str, Any],
    findings: list[dict[str, Any]],
) -> bool:
    """sqlmap on the canaries (canary_urls.py): the concatenating query parameter and
    form field must be reported and confirmed, the bound and word-sensitive ones not."""
    import requests

    from kindred.security.fuzz import sqli

    # Warm the canary server up (its worker has served nothing but /healthz): sqlmap's
    # first request has 30 s and two retries, which a cold worker on a loaded machine
    # could still miss.
    for path in ("/canary/safe/?q=x", "/canary/sqli/?q=x", "/canary/search/?q=x"):
        requests.get(f"{canary_url}{path}", timeout=120)
    injectable_canary, safe_canary, search_canary = _canary_targets(canary_url)
    caught = sqli.run_one(injectable_canary, seconds=PER_SQLMAP_RUN)
    control = sqli.run_one(safe_canary, seconds=PER_SQLMAP_RUN)
    searched = sqli.run_one(search_canary, seconds=PER_SQLMAP_RUN)
    caught_confirmed = {c.parameter for c in sqli.confirm(caught) if c.confirmed}
    search_reported = {c.parameter for c in sqli.confirm(searched) if c.confirmed}
    figures["canary_caught"] = "q" in caught_confirmed
    figures["canary_false_positive"] = bool(control.injectable or search_reported)
    figures["canary_search_sqlmap_injectable"] = sorted(searched.injectable)
    if not figures["canary_caught"] or figures["canary_false_positive"]:
        findings.append(
            {
                "kind": "harness",
                "detail": "the canary was not reported injectable and confirmed (or "
                f"a safe one was reported): caught={sorted(caught_confirmed)} "
                f"safe={sorted(control.injectable)} search={sorted(search_reported)} "
                f"{caught.error[-300:]}",
            }
        )
        return False
    if not _form_canaries_caught(canary_url, admin_cookie, figures):
        findings.append(
            {
                "kind": "harness",
                "detail": "the form canary was not reported injectable and confirmed "
                "(or a bound form field was reported): "
                f"{figures['canary_form_detail']}",
            }
        )
        return False
    return True


def _run(
    mode: dict[str, int],
    database_server: str,
    figures: dict[str, Any],
    findings: list[dict[str, Any]],
    notes: list[str],
) -> int:
    from kindred.security.fuzz.sqli import sqlmap_runs

    if not sqlmap_runs():
        raise CannotRun("sqlmap does not run in this environment")
    with tempfile.TemporaryDirectory(prefix="kindred-fuzz-") as temporary:
        return _run_in(
            Path(temporary),
            mode=mode,
            database_server=database_server,
            figures=figures,
            findings=findings,
            notes=notes,
        )


def _run_in(
    work: Path,
    *,
    mode: dict[str, int],
    database_server: str,
    figures: dict[str, Any],
    findings: list[dict[str, Any]],
    notes: list[str],
) -> int:
    reads_file = work / "reads.jsonl"
    with ThrowawayDatabase(database_server) as db:
        _log(f"database {db.name}: migrating")
        env = server_env(db.url, LIVE_SETTINGS, reads_file)
        migrate(env)
        _setup_django(db.url)
        from kindred.core.testing import build_cast
        from kindred.security.fuzz import forms, openapi, recorder, roles, schemathesis_run, sqli
        from kindred.security.fuzz.completeness import undeclared_reads

        cast = build_cast()
        creds = roles.credentials(cast)
        admin_session = roles._session("admin_session", cast.admin)
        facilitator_session = roles._session("facilitator_session", cast.facilitator)
        form_cookies = _form_cookies(cast)
        known_ids = roles.known_ids(cast)
        schema = openapi.generate_schema()
        ops = openapi.operations(schema, openapi.served_endpoints())
        canary_env = server_env(db.url, CANARY_SETTINGS, work / "canary-reads.jsonl")
        with (
            Gunicorn(env, work / "server.log") as server,
            Gunicorn(canary_env, work / "canary.log", workers=1) as canary,
        ):
            _log(f"serving on {server.base_url} (canary {canary.base_url})")
            walkers = [c for c in creds if c.role in {"facilitator", "member"}]
            first_ok, found_forms = _walk(
                server.base_url,
                ops,
                [admin_session, *walkers, facilitator_session],
                known_ids,
                time.monotonic() + 300,
            )
            _log(
                f"walked: {len(first_ok)} pages and operations answered 200, "
                f"{len(found_forms)} POST forms with text inputs seen"
            )
            # sqlmap: the canaries first (a miss means a broken harness), then the plan.
            if not _canaries_caught(
                canary.base_url, form_cookies["admin_session"], figures, findings
            ):
                return 2
            reads = recorder.read_file(str(reads_file))  # what the walk saw
            targets = _sqlmap_targets(
                base_url=server.base_url,
                schema=schema,
                ops=ops,
                creds=[*creds, admin_session, facilitator_session],
                known_ids=known_ids,
                reads=reads,
                first_ok=first_ok,
            )[: mode["sqlmap_targets"]]
            figures["sqlmap_targets"] = len(targets)
            outcomes, left = sqli.run_all(
                targets,
                per_run_seconds=PER_SQLMAP_RUN,
                total_seconds=mode["sqlmap_seconds"],
                progress=_log,
            )
            # Once more, with twice the time, where sqlmap tested nothing (a slow answer
            # on a loaded machine): what is still untested is counted and noted.
            for index, outcome in enumerate(outcomes):
                if not outcome.tested:
                    _log(f"sqlmap again: {outcome.target.label}")
                    outcomes[index] = sqli.run_one(outcome.target, seconds=2 * PER_SQLMAP_RUN)
            _sqlmap_figures(outcomes, left, figures, findings, notes)
            # The HTML POST forms, field by field (after the other targets: their
            # writes add rows, and a form's answer may depend on what exists).
            form_plan = forms.plan(
                found_forms,
                max_forms=mode["forms"] or None,
                fields_per_form=mode["fields_per_form"] or None,
            )
            figures["sqlmap_forms"] = _run_forms(
                form_plan,
                forms.targets(form_plan, server.base_url, form_cookies),
                seconds=mode["forms_seconds"],
                findings=findings,
                notes=notes,
            )
            # Schemathesis after sqlmap: its writes (archiving, cancelling) would
            # otherwise hide pages from sqlmap.
            result = schemathesis_run.run(
                schema,
                ops,
                creds,
                schemathesis_run.Target(base_url=server.base_url, timeout=10),
                examples=mode["examples"],
                seconds=mode["schemathesis_seconds"],
                known_ids=known_ids,
                progress=_log,
            )
            figures.update(
                operations=result.operations,
                roles=result.roles,
                schemathesis_cases=result.cases,
                server_errors=len(result.of("server_error")),
                schema_violations=len(result.of("schema")),
                authz_violations=len(result.of("authz")),
                statuses={str(k): v for k, v in sorted(result.statuses.items())},
            )
            if result.timed_out:
                notes.append("schemathesis stopped at its time cap")
            findings.extend(f.as_dict() for f in result.findings)
            figures["successes_per_role"] = {
                c.role: len(result.successes.get(c.role, ())) for c in creds
            }
            findings.extend(
                {"kind": "harness", "role": c.role, "detail": "no 2xx at all: broken credential"}
                for c in creds
                if c.kind != "anonymous" and not result.successes.get(c.role)
            )
            gaps = undeclared_reads(schema, recorder.read_file(str(reads_file)))
            figures["undeclared_parameters"] = len(gaps)
            findings.extend({"kind": "undeclared_parameter", "detail": gap} for gap in gaps)

    bad = [f for f in findings if f.get("kind") not in {"note"}]
    return 1 if bad else 0


def _form_cookies(cast: Cast) -> dict[str, tuple[str, str]]:
    """role -> (the Cookie header of a session of its own, a CSRF token valid with it: the
    cookie's secret itself, which Django accepts as the form field). The forms are posted
    with these sessions, so a form's side effects on its session never reach the
    credentials schemathesis uses afterwards."""
    from django.conf import settings

    from kindred.security.fuzz.roles import _session

    cookies: dict[str, tuple[str, str]] = {}
    for role, user in (
        ("admin_session", cast.admin),
        ("facilitator_session", cast.facilitator),
        ("member", cast.member),
    ):
        credential = _session(role, user)
        _, cookie = _auth(credential)
        cookies[role] = (cookie, credential.cookies[settings.CSRF_COOKIE_NAME])
    return cookies


def form_canary_targets(
    canary_url: str, cookie: tuple[str, str]
) -> tuple[list[Target], list[Target]]:
    """The canary forms as the crawl finds them (their pages rendered as a signed-in
    user, parsed by forms.py): the targets of the concatenating form (``name``, ``note``)
    and the ``name`` field of the bound one."""
    import requests

    from kindred.security.fuzz import forms

    found: list[list[Target]] = []
    for path in ("/canary/form/", "/canary/form-safe/"):
        page = requests.get(
            f"{canary_url}{path}", headers={"Cookie": cookie[0]}, timeout=60, allow_redirects=False
        )
        seen = forms.parse_forms(page.text, path, role="canary") if page.ok else []
        form_plan = forms.plan(seen, max_forms=None, fields_per_form=None)
        found.append([t for _, t in forms.targets(form_plan, canary_url, {"canary": cookie})])
    injectable, safe = found
    return injectable, [t for t in safe if t.parameters == ("name",)]


def _form_canaries_caught(
    canary_url: str, cookie: tuple[str, str], figures: dict[str, Any]
) -> bool:
    """sqlmap on the canary forms: ``name`` of /canary/form/ reported and confirmed,
    nothing else (its bound ``note``, the bound form)."""
    from kindred.security.fuzz import sqli

    injectable, safe = form_canary_targets(canary_url, cookie)
    reported: dict[str, list[str]] = {}
    tested: dict[str, list[str]] = {}
    for target in [*injectable, *safe]:
        outcome = sqli.run_one(target, seconds=PER_SQLMAP_RUN)
        if not outcome.tested:  # once more: a slow answer on a loaded machine
            outcome = sqli.run_one(target, seconds=PER_SQLMAP_RUN)
        confirmed = sorted(c.parameter for c in sqli.confirm(outcome) if c.confirmed)
        reported[target.label] = confirmed
        tested[target.label] = sorted(outcome.tested)
    caught = [label for label, names in reported.items() if names == ["name"]]
    expected = [t.label for t in injectable if t.parameters == ("name",)]
    figures["canary_form_caught"] = bool(expected) and caught == expected
    figures["canary_form_detail"] = {"reported": reported, "tested": tested}
    return bool(figures["canary_form_caught"]) and len(injectable) == 2 and len(safe) == 1


def _run_forms(
    form_plan: FormPlan,
    planned: list[tuple[HtmlForm, Target]],
    *,
    seconds: float,
    findings: list[dict[str, Any]],
    notes: list[str],
) -> dict[str, Any]:
    """sqlmap on each planned (form, field); the form part's figures."""
    from kindred.security.fuzz import forms, sqli

    outcomes, left = sqli.run_all(
        [t for _, t in planned],
        per_run_seconds=PER_SQLMAP_RUN,
        total_seconds=seconds,
        progress=_log,
    )
    form_of = {id(t): f for f, t in planned}
    result: dict[str, Any] = {
        "forms_found": len(form_plan.found),
        "forms_planned": len(form_plan.tried),
        "fields_planned": len(planned),
        "forms_tried": len({form_of[id(o.target)].key for o in outcomes if o.tested}),
    }
    before = len(findings)
    _sqlmap_figures(outcomes, left, result, findings, notes, prefix="")
    result["fields_tried"] = result.pop("parameters_tested")
    result["findings"] = result.pop("injectable")
    result["destructive_not_tried"] = forms.describe(form_plan.destructive)
    result["not_in_quick_set"] = len(form_plan.left_out)
    if len(findings) != before:
        _log(f"forms: {len(findings) - before} findings")
    return result


def _sqlmap_figures(
    outcomes: list[Outcome],
    left: list[Target],
    figures: dict[str, Any],
    findings: list[dict[str, Any]],
    notes: list[str],
    *,
    prefix: str = "sqlmap_",
) -> None:
    from kindred.security.fuzz.sqli import confirm

    tested = 0
    untested: list[str] = []
    confirmed: dict[int, set[str]] = {}
    refuted: list[dict[str, str]] = []
    for index, outcome in enumerate(outcomes):
        tested += len(outcome.tested)
        confirmed[index] = set()
        for verdict in confirm(outcome) if outcome.injectable else []:
            if verdict.confirmed:
                confirmed[index].add(verdict.parameter)
                findings.append(
                    {
                        "kind": "sqli",
                        "operation": outcome.target.label,
                        "detail": f"{verdict.parameter} injectable ({verdict.reason})",
                        "url": outcome.target.url,
                        "evidence": outcome.evidence,
                    }
                )
                continue
            refuted.append(
                {
                    "target": outcome.target.label,
                    "parameter": verdict.parameter,
                    "reason": verdict.reason,
                    "url": outcome.target.url,
                }
            )
            notes.append(
                f"sqlmap reported {verdict.parameter} at {outcome.target.label}: {verdict.reason}"
            )
        if not outcome.tested:
            untested.append(f"{outcome.target.label}: {outcome.error[-200:]}")
        if outcome.timed_out:
            notes.append(f"sqlmap hit its per-run cap on {outcome.target.label}")
    figures[f"{prefix}parameters_tested"] = tested
    figures[f"{prefix}injectable"] = sum(len(names) for names in confirmed.values())
    figures[f"{prefix}not_confirmed"] = len(refuted)
    figures[f"{prefix}not_confirmed_detail"] = refuted
    figures[f"{prefix}untested_targets"] = len(untested) + len(left)
    figures[f"{prefix}runs"] = [
        {
            "target": o.target.label,
            "tested": sorted(o.tested),
            "injectable": sorted(confirmed[i]),
            "reported_by_sqlmap": sorted(o.injectable),
            "seconds": o.seconds,
        }
        for i, o in enumerate(outcomes)
    ]
    notes.extend(f"sqlmap tested nothing at {text}" for text in untested)
    notes.extend(f"sqlmap not run (total cap): {t.label}" for t in left)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kindred.security.fuzz", description=__doc__)
    parser.add_argument("--out", required=True, type=Path, help="where to write the JSON")
    parser.add_argument("--full", action="store_true", help="more cases, every sqlmap target")
    parser.add_argument(
        "--database-server",
        default=os.environ.get("KINDRED_FUZZ_PG", "postgres://postgres@127.0.0.1:5432"),
        help="a loopback PostgreSQL where a throwaway database may be created",
    )
    args = parser.parse_args(argv)
    return run(args.out, full=args.full, database_server=args.database_server)


if __name__ == "__main__":
    sys.exit(main())
