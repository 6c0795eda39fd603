"""Schemathesis over every operation of the schema, once per role.

Each (role, operation) gets a few generated cases (bounded in count, and the whole run in
time), sent in-process to a WSGI application (tests) or over HTTP to a live loopback
server (the CLI). Each answer is checked:

- ``server_error``: no 5xx;
- ``schema``: the answer conforms to the schema (status documented => body and content
  type as documented);
- ``authz``: a role never gets a 2xx from an operation it may not use (roles.may_succeed).

Undocumented error statuses (400/403/404 ...) are not counted as schema violations: the
schema documents successes and conflicts; errors share kindred/api/errors.py's shape.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import HypothesisException
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup, ServerError
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from kindred.security.fuzz.openapi import Operation
from kindred.security.fuzz.roles import Credential, may_succeed

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@dataclass
class Finding:
    kind: str  # "server_error" | "schema" | "authz" | "generation"
    role: str
    operation: str
    status: int | None
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "role": self.role,
            "operation": self.operation,
            "status": self.status,
            "detail": self.detail[:600],
        }


@dataclass
class FuzzResult:
    cases: int = 0
    operations: int = 0
    roles: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    successes: dict[str, set[str]] = field(default_factory=dict)  # role -> operations
    findings: list[Finding] = field(default_factory=list)
    timed_out: bool = False

    def of(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]


@dataclass
class Target:
    """Where cases go: an in-process WSGI app, or a live server's base URL."""

    app: Any = None
    base_url: str | None = None
    timeout: float = 10.0

    def call_kwargs(self) -> dict[str, Any]:
        if self.app is not None:
            return {"app": self.app}
        return {"base_url": self.base_url, "timeout": self.timeout}


def _describe(exc: FailureGroup) -> tuple[str, str]:
    kinds = {"server_error" if isinstance(f, ServerError) else "schema" for f in exc.exceptions}
    text = "; ".join(f"{f.title}: {f.message}".strip() for f in exc.exceptions)
    return ("server_error" if "server_error" in kinds else "schema"), text


@dataclass
class _Run:
    result: FuzzResult
    target: Target
    deadline: float
    seen: set[tuple[str, str, str, int]] = field(default_factory=set)


def _one(run: _Run, credential: Credential, operation: Operation, case: Any) -> None:
    result = run.result
    kwargs = run.target.call_kwargs()
    if credential.headers:
        kwargs["headers"] = dict(credential.headers)
    if credential.cookies:
        kwargs["cookies"] = dict(credential.cookies)
    response = case.call(**kwargs)
    result.cases += 1
    status = int(response.status_code)
    result.statuses[status] += 1
    found: list[Finding] = []
    if 200 <= status < 300:
        result.successes.setdefault(credential.role, set()).add(operation.label)
        if not may_succeed(credential, operation):
            scope = operation.endpoint and operation.endpoint.required_scope(operation.method)
            text = f"{credential.role} ({credential.kind}) got {status}; declared scope {scope}"
            found.append(Finding("authz", credential.role, operation.label, status, text))
    try:
        case.validate_response(response, checks=CHECKS, headers=kwargs.get("headers"))
    except FailureGroup as exc:
        kind, text = _describe(exc)
        found.append(Finding(kind, credential.role, operation.label, status, text))
    for finding in found:
        key = (finding.kind, finding.role, finding.operation, status)
        if key not in run.seen:  # one finding per kind, role, operation and status
            run.seen.add(key)
            result.findings.append(finding)


def _generate(strategy: Any, examples: int) -> list[Any]:
    """Up to ``examples`` cases drawn from ``strategy`` (deterministically)."""
    cases: list[Any] = []

    @hypothesis_settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def collect(case: Any) -> None:
        cases.append(case)

    collect()
    return cases[:examples]


#: JSON Schema's "time" format is RFC 3339 full-time, which needs an offset; Kindred's
#: times are wall-clock times in the group's (or member's) own time zone, sent as DRF
#: writes them ("18:00:00"). The fuzzer reads "format: time" as this pattern instead (and
#: the report says so); everything else in the schema is taken as it is.
WALL_CLOCK_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"


def wall_clock_times(node: Any) -> Any:
    """A copy of ``node`` with every ``format: time`` string read as WALL_CLOCK_TIME."""
    if isinstance(node, dict):
        copied = {key: wall_clock_times(value) for key, value in node.items()}
        if copied.get("format") == "time" and copied.get("type") == "string":
            del copied["format"]
            copied["pattern"] = WALL_CLOCK_TIME
        return copied
    if isinstance(node, list):
        return [wall_clock_times(value) for value in node]
    return node


def generate_cases(
    schema: dict[str, Any],
    operations: Sequence[Operation],
    *,
    examples: int,
    known_ids: dict[str, Any] | None = None,
    seconds: float = 600,
) -> tuple[list[tuple[Operation, Any]], list[str]]:
    """The cases every role is sent: ``examples`` generated per operation, and as many
    again with ``known_ids`` as path parameters where all of them are known. Returns the
    cases and the operations that could not be generated."""
    loaded = schemathesis.openapi.from_dict(wall_clock_times(schema))
    by_label = {operation.label: operation for operation in operations}
    deadline = time.monotonic() + seconds
    cases: list[tuple[Operation, Any]] = []
    failed: list[str] = []
    for item in loaded.get_all_operations():
        api_operation = item.ok()  # type: ignore[union-attr]
        operation = by_label.get(f"{api_operation.method.upper()} {api_operation.path}")
        if operation is None or time.monotonic() > deadline:
            continue
        strategies = [api_operation.as_strategy()]
        wanted = operation.path_parameters()
        if known_ids and wanted and all(name in known_ids for name in wanted):
            fixed = {name: known_ids[name] for name in wanted}
            strategies.append(api_operation.as_strategy(path_parameters=fixed))
        for strategy in strategies:
            try:
                cases.extend((operation, case) for case in _generate(strategy, examples))
            except HypothesisException as exc:
                failed.append(f"{operation.label}: {exc!r}")
    return cases, failed


def run(
    schema: dict[str, Any],
    operations: Sequence[Operation],
    credentials: Sequence[Credential],
    target: Target,
    *,
    examples: int,
    seconds: float,
    known_ids: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> FuzzResult:
    """Fuzz ``operations`` as each credential (the same cases for every role: see
    generate_cases), stopping when ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    cases, failed = generate_cases(
        schema, operations, examples=examples, known_ids=known_ids, seconds=seconds
    )
    result = FuzzResult(
        operations=len({operation.label for operation, _ in cases}), roles=len(credentials)
    )
    result.findings.extend(Finding("generation", "-", text, None, text) for text in failed)
    run_ = _Run(result, target, deadline)
    for credential in credentials:
        if progress:
            progress(f"schemathesis: {credential.role} ({len(cases)} cases)")
        sent: set[str] = set()
        for operation, case in cases:
            if credential.kind == "anonymous" and operation.label in sent:
                continue  # anonymous is refused before any input is read: one case is enough
            sent.add(operation.label)
            if time.monotonic() > deadline:
                result.timed_out = True
                return result
            try:
                _one(run_, credential, operation, case)
            except Exception as exc:  # an exception escaping the app is a finding too
                result.findings.append(
                    Finding("server_error", credential.role, operation.label, None, repr(exc))
                )
    return result
