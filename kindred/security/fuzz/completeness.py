"""The schema-completeness gate: a fuzzer cannot send what it does not know, so

1. every URL pattern and method served under /api/v1/ and /fhir/r4/ is in the schema;
2. every query parameter a view reads (recorder.py) is declared for that operation.

Both checkers return one line per gap (empty: complete).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kindred.security.fuzz.openapi import Endpoint, Operation
from kindred.security.fuzz.recorder import ALL_KEYS

if TYPE_CHECKING:
    from kindred.security.fuzz.roles import Credential

#: Keys the framework itself reads on every request, with the reason they are not gaps.
FRAMEWORK_KEYS: dict[str, str] = {
    # DRF's URL_FORMAT_OVERRIDE: picks a renderer; only JSON (FHIR: FHIR JSON) is
    # installed, so any other value is a 404, never another code path.
    "format": "DRF renderer override (one renderer installed)",
}
#: The key the page walk adds so that ``Form(request.GET or None)`` binds and reads.
PROBE_KEY = "_probe"


def missing_endpoints(schema: Mapping[str, Any], endpoints: Sequence[Endpoint]) -> list[str]:
    """URL patterns (or methods of them) that the application serves but the schema omits."""
    paths: Mapping[str, Any] = schema.get("paths", {})
    gaps: list[str] = []
    for endpoint in endpoints:
        item = paths.get(endpoint.template)
        if item is None:
            gaps.append(f"URL not in the schema: {endpoint.template} ({endpoint.name})")
            continue
        gaps.extend(
            f"Method not in the schema: {method.upper()} {endpoint.template}"
            for method in sorted(endpoint.methods)
            if method not in item
        )
    return gaps


def undeclared_reads(
    schema: Mapping[str, Any], reads: Mapping[tuple[str, str], set[str]]
) -> list[str]:
    """Query parameters views read (recorded per URL template and method) that the schema
    does not declare for that operation."""
    paths: Mapping[str, Any] = schema.get("paths", {})
    gaps: list[str] = []
    for (template, method), keys in sorted(reads.items()):
        operation = paths.get(template, {}).get(method)
        if not isinstance(operation, dict):
            continue  # not an API operation (or reported by missing_endpoints)
        declared = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
        extra = keys - declared - set(FRAMEWORK_KEYS) - {ALL_KEYS, PROBE_KEY}
        gaps.extend(
            f"Query parameter read but not declared: {method.upper()} {template} ?{key}"
            for key in sorted(extra)
        )
    return gaps


def concrete_path(template: str, known_ids: Mapping[str, Any]) -> str:
    """A template with its parameters filled: known ids, else ``1``."""
    return re.sub(r"\{([^}]+)\}", lambda m: str(known_ids.get(m.group(1), 1)), template)


def walk_reads(
    operations: Sequence[Operation],
    credentials: Sequence[Credential],
    known_ids: Mapping[str, Any],
    send: Callable[[str, Credential], int],
) -> int:
    """GET every GET operation once per credential with ``?_probe=1`` (so forms and
    serializers bound to the query string read their fields), the path filled with real
    ids: the recorder notes what each view reads. Returns the number of requests."""
    sent = 0
    for credential in credentials:
        for operation in operations:
            if operation.method == "get":
                send(f"{concrete_path(operation.path, known_ids)}?{PROBE_KEY}=1", credential)
                sent += 1
    return sent
