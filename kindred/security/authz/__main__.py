"""Run the authorization matrix and write its figures and findings as JSON.

    python -m kindred.security.authz --out authz.json [--full] [--workers N]

It runs the matrix's test modules with pytest (the same code CI runs) and reads each
row's result from a JSON-lines file the tests append to. Exit status: 0 when every cell
is as the table says, 1 on findings, 2 when the matrix could not run (a collection
error, a database that is not there...).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

RESULTS_ENV = "KINDRED_AUTHZ_RESULTS"  # matrix.RESULTS_ENV (not imported: Django is not set up)
MODULES = [
    "kindred/security/tests/test_authz_matrix.py",
    "kindred/security/tests/test_authz_broken.py",
    "kindred/security/tests/test_authz_tokens.py",
]


class Collector:
    """A pytest plugin that keeps the outcome of each test."""

    def __init__(self) -> None:
        self.failed: list[dict[str, str]] = []
        self.passed = 0
        self.errors: list[str] = []

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when == "call" and report.passed:
            self.passed += 1
        elif report.failed:
            if report.when != "call":
                self.errors.append(f"{report.nodeid} ({report.when})")
            self.failed.append(
                {"test": report.nodeid, "when": report.when, "text": str(report.longrepr)[-2000:]}
            )

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.errors.append(f"collect {report.nodeid}: {str(report.longrepr)[-500:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kindred.security.authz")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--full", action="store_true", help="all people, objects and methods")
    parser.add_argument("--tokens", action="store_true", help="API rows with API tokens too")
    parser.add_argument("--workers", type=int, default=0, help="pytest-xdist workers (0: none)")
    args = parser.parse_args(argv)
    if args.full:
        os.environ["KINDRED_SECURITY_FULL"] = "1"
    if args.full or args.tokens:
        # The full battery asks /api/ and /fhir/ again with each staff person's token.
        os.environ["KINDRED_AUTHZ_TOKENS"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindred.settings")
    import pytest

    with tempfile.TemporaryDirectory(prefix="kindred-authz-") as tmp:
        results_file = Path(tmp) / "rows.jsonl"
        results_file.touch()
        os.environ[RESULTS_ENV] = str(results_file)
        workers = ["-n", str(args.workers)] if args.workers else ["-p", "no:xdist"]
        collector = Collector()
        try:
            code = int(
                pytest.main(
                    [*MODULES, "-q", "-p", "no:randomly", "-p", "no:cacheprovider", *workers],
                    plugins=[collector],
                )
            )
        except Exception as exc:  # the matrix could not run at all
            collector.errors.append(f"{type(exc).__name__}: {exc}")
            code = 3
        rows = [
            json.loads(line)
            for line in results_file.read_text(encoding="utf-8").splitlines()
            if line
        ]
    try:
        document = build_report(collector, code, rows, full=args.full)
    except Exception as exc:  # Django never came up: nothing was checked
        document = {
            "part": "authz",
            "passed": False,
            "figures": {},
            "findings": [],
            "error": f"{type(exc).__name__}: {exc}; {collector.errors}",
        }
    args.out.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    sys.stdout.write(
        f"authz: passed={document['passed']} findings={len(document['findings'])} "
        f"figures={json.dumps(document['figures'], sort_keys=True)}\n"
    )
    if collector.errors or code not in (0, 1) or not rows:
        return 2
    return 0 if document["passed"] else 1


def build_report(
    collector: Collector, code: int, rows: list[dict[str, Any]], *, full: bool
) -> dict[str, Any]:
    from kindred.security.authz.matrix import url_patterns
    from kindred.security.authz.table import ROWS
    from kindred.security.authz.world import NOT_BUILT

    findings: list[dict[str, Any]] = [f for r in rows for f in r["findings"]]
    # Row failures are listed cell by cell above; other failing tests are findings too.
    findings += [
        {"test": f["test"], "text": f["text"]}
        for f in collector.failed
        if "test_authz_row[" not in f["test"]
    ]
    figures = {
        "url_patterns": len(url_patterns()),
        "rows": len(ROWS),
        "rows_run": len(rows),
        "cells_checked": sum(r["cells"] for r in rows),
        "requests": sum(r["requests"] for r in rows),
        "token_requests": sum(r.get("token_requests", 0) for r in rows),
        "denied_cells": sum(r["denied_cells"] for r in rows),
        "unsafe_denied_checked": sum(r["unsafe_checked"] for r in rows),
        "rows_missing_object_only": sum(1 for r in rows if r["skipped_slots"]),
        "object_kinds_not_built": sorted(NOT_BUILT),
        "tests_passed": collector.passed,
        "tests_failed": len(collector.failed),
        "full": full,
    }
    passed = code == 0 and not findings and not collector.errors and bool(rows)
    return {"part": "authz", "passed": passed, "figures": figures, "findings": findings}


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit:
        raise
    except BaseException as exc:  # could not run: exit 2, never 1 (1 means findings)
        sys.stderr.write(f"authz: could not run: {type(exc).__name__}: {exc}\n")
        sys.exit(2)
