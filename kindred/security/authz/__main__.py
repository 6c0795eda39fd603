"""Run the authorization matrix and write its figures and findings as JSON.

    python -m kindred.security.authz --out authz.json [--full]

Exit status: 0 when every cell is as the table says, 1 on findings, 2 when the matrix
could not run (collection error, a database that is not there...).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

MODULES = [
    "kindred/security/tests/test_authz_matrix.py",
    "kindred/security/tests/test_authz_broken.py",
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
            entry = {"test": report.nodeid, "when": report.when}
            if report.when != "call":
                self.errors.append(report.nodeid)
            entry["text"] = str(report.longrepr)[-2000:]
            self.failed.append(entry)

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.errors.append(f"collect {report.nodeid}: {str(report.longrepr)[-500:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kindred.security.authz")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--full", action="store_true", help="also PUT, PATCH, DELETE")
    args = parser.parse_args(argv)
    if args.full:
        os.environ["KINDRED_SECURITY_FULL"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindred.settings")
    import pytest

    collector = Collector()
    code = pytest.main(
        [*MODULES, "-q", "-p", "no:randomly", "-p", "no:xdist", "-p", "no:cacheprovider"],
        plugins=[collector],
    )
    document = build_report(collector, int(code), full=args.full)
    args.out.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if collector.errors or int(code) not in (0, 1):
        return 2
    return 0 if document["passed"] else 1


def build_report(collector: Collector, code: int, *, full: bool) -> dict[str, Any]:
    from kindred.security.authz.matrix import url_patterns
    from kindred.security.authz.table import ROWS
    from kindred.security.tests import test_authz_matrix as matrix_tests

    results = matrix_tests.RESULTS
    findings: list[dict[str, Any]] = []
    for result in results:
        findings += [asdict(f) for f in result.findings]
    for failure in collector.failed:
        if "test_authz_row[" not in failure["test"]:  # row failures are listed cell by cell
            findings.append({"test": failure["test"], "text": failure["text"]})
    skipped_slots = sorted({s for r in results for s in r.skipped_slots})
    figures = {
        "url_patterns": len(url_patterns()),
        "rows": len(ROWS),
        "rows_run": len(results),
        "cells_checked": sum(r.cells for r in results),
        "requests": sum(r.requests for r in results),
        "denied_cells": sum(r.denied_cells for r in results),
        "unsafe_denied_checked": sum(r.unsafe_checked for r in results),
        "rows_missing_object_only": sum(1 for r in results if r.skipped_slots),
        "unbuilt_slots": skipped_slots,
        "tests_passed": collector.passed,
        "tests_failed": len(collector.failed),
        "full": full,
    }
    passed = code == 0 and not findings and not collector.errors
    return {"part": "authz", "passed": passed, "figures": figures, "findings": findings}


if __name__ == "__main__":
    sys.exit(main())
