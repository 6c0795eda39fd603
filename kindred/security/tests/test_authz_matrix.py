"""The authorization matrix (SECURITY.md, "Authorization matrix"): every URL pattern x
person x own / other's / missing object x method, judged against the rule the table
(kindred/security/authz/table.py) gives the pattern. A pattern without a row fails.

One world (the cast plus an object of each kind per side) is built per module inside a
transaction rolled back at the end; every request runs in a savepoint rolled back after
it, so cells cannot disturb each other. ``KINDRED_SECURITY_FULL=1`` adds PUT, PATCH and
DELETE to every denied cell.
"""

from __future__ import annotations

import os

import pytest

from kindred.security.authz.matrix import (
    Finding,
    RowResult,
    coverage,
    record,
    run_row,
    url_patterns,
)
from kindred.security.authz.slotmap import kwargs_of
from kindred.security.authz.stage import Stage, stage
from kindred.security.authz.table import ROWS
from kindred.security.authz.world import BUILDERS, NOT_BUILT

FULL = os.environ.get("KINDRED_SECURITY_FULL") == "1"
PATTERNS = {p.key: p for p in url_patterns()}
# Every row's result, for the command-line report (python -m kindred.security.authz).
RESULTS: list[RowResult] = []
__all__ = ["stage"]  # the fixture, imported for pytest


def _report(findings: list[Finding]) -> str:
    lines = [
        f"{f.pattern} {f.method} {f.url} as {f.who} ({f.cell}, {f.auth}): "
        f"expected {f.expected}, "
        f"got {f.got} [{f.detail}]"
        for f in findings[:40]
    ]
    more = len(findings) - 40
    return "\n".join(lines + ([f"... and {more} more"] if more > 0 else []))


def test_every_url_pattern_has_a_row() -> None:
    missing, stale = coverage(list(PATTERNS.values()), ROWS)
    assert not missing, f"URL patterns with no row in authz/table.py: {missing}"
    assert not stale, f"rows in authz/table.py naming no URL pattern: {stale}"


def test_rows_fill_exactly_the_url_keywords() -> None:
    problems = []
    for key, row in ROWS.items():
        pattern = PATTERNS.get(key)
        if pattern is None:
            continue
        wanted = set(kwargs_of(pattern.route))
        given = set(row.slots) | set(row.fixed)
        if wanted != given:
            problems.append(f"{key}: route has {sorted(wanted)}, row fills {sorted(given)}")
        problems += [
            f"{key}: no slot {s!r}"
            for s in row.slots.values()
            if s not in BUILDERS and s not in NOT_BUILT
        ]
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_world_builds_every_slot(stage: Stage) -> None:
    world, _ = stage
    assert not world.unbuilt, f"slots the world could not build: {world.unbuilt}"


@pytest.mark.django_db
# WeasyPrint warns that this machine lacks the HarfBuzz subsetting library (an operating
# system package, not Kindred's code); the PDFs still render.
@pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning")
@pytest.mark.parametrize("key", sorted(ROWS))
def test_authz_row(key: str, stage: Stage) -> None:
    world, clients = stage
    pattern = PATTERNS.get(key)
    if pattern is None:
        pytest.fail(f"{key}: row for a URL pattern that does not exist")
    result = run_row(pattern, ROWS[key], world, clients, full=FULL, bearers=world.bearers)
    RESULTS.append(result)
    record(result)
    assert not result.findings, _report(result.findings)
