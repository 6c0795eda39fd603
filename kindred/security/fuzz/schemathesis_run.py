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
    examples: int
    deadline: float
    seen: set[tuple[str, str, str, int]] = field(default_factory=set)


def _one(run: _Run, credential: Credential, operation: Operation, case: Any) -> None:
    result = run.result
    response = case.call(**run.target.call_kwargs())
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
        case.validate_response(response, checks=CHECKS)
    except FailureGroup as exc:
        kind, text = _describe(exc)
        found.append(Finding(kind, credential.role, operation.label, status, text))
    for finding in found:
        key = (finding.kind, finding.role, finding.operation, status)
        if key not in run.seen:  # one finding per kind, role, operation and status
            run.seen.add(key)
            result.findings.append(finding)


def _exercise(
    run: _Run, credential: Credential, operation: Operation, strategy: Any
) -> Callable[[], None]:
    @hypothesis_settings(
        max_examples=run.examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def exercise(case: Any) -> None:
        if time.monotonic() > run.deadline:
            return
        try:
            _one(run, credential, operation, case)
        except Exception as exc:  # an exception escaping the app is a finding too
            run.result.findings.append(
                Finding("server_error", credential.role, operation.label, None, repr(exc))
            )

    return exercise


def _strategy(
    api_operation: Any,
    credential: Credential,
    operation: Operation,
    known_ids: dict[str, Any] | None,
) -> Any:
    kwargs: dict[str, Any] = {}
    if credential.headers:
        kwargs["headers"] = dict(credential.headers)
    if credential.cookies:
        kwargs["cookies"] = dict(credential.cookies)
    if known_ids is not None:
        wanted = operation.path_parameters()
        if wanted and all(name in known_ids for name in wanted):
            kwargs["path_parameters"] = {name: known_ids[name] for name in wanted}
        else:
            return None
    return api_operation.as_strategy(**kwargs)


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
    """Fuzz ``operations`` as each credential: ``examples`` generated cases each (plus as
    many with ``known_ids`` as path parameters where all of them are known), stopping
    when ``seconds`` have passed."""
    loaded = schemathesis.openapi.from_dict(schema)
    by_label = {operation.label: operation for operation in operations}
    api_operations: list[tuple[Operation, Any]] = []
    for item in loaded.get_all_operations():
        api_operation = item.ok()  # type: ignore[union-attr]
        label = f"{api_operation.method.upper()} {api_operation.path}"
        if label in by_label:
            api_operations.append((by_label[label], api_operation))
    result = FuzzResult(operations=len(api_operations), roles=len(credentials))
    run_ = _Run(result, target, examples, time.monotonic() + seconds)
    for credential in credentials:
        if progress:
            progress(f"schemathesis: {credential.role}")
        for operation, api_operation in api_operations:
            for ids in ([known_ids] if known_ids else []) + [None]:
                if time.monotonic() > run_.deadline:
                    result.timed_out = True
                    return result
                strategy = _strategy(api_operation, credential, operation, ids)
                if strategy is None:
                    continue

                exercise = _exercise(run_, credential, operation, strategy)
                try:
                    exercise()
                except HypothesisException as exc:
                    result.findings.append(
                        Finding("generation", credential.role, operation.label, None, repr(exc))
                    )
    return result
