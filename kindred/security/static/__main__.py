"""``python -m kindred.security.static --out F.json``: the static gates in one part.

- bandit over kindred/ (bandit_gate.py): no new finding;
- the offline advisory check (advisories.py): no vulnerable pinned package, and every
  package checked;
- ``manage.py check --deploy --fail-level WARNING`` with production settings: 0 warnings.

Exit 0 all passed, 1 findings, 2 a gate could not run (for the advisory check: could not
check). ``--allow-missing-advisory-db`` (CI on a machine without the database) turns a
missing database from a failure into a loud notice; every other could-not-check still
fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kindred.security.runner import say
from kindred.security.static import advisories, bandit_gate, deploy_check

NOT_RUN = "ADVISORY CHECK NOT RUN: NO DATABASE"


def run(
    *, allow_missing_db: bool = False, gates: Sequence[str] = ("bandit", "advisories", "deploy")
) -> tuple[dict[str, Any], int]:
    figures: dict[str, Any] = {}
    findings: list[dict[str, Any]] = []
    could_not_run = False

    if "bandit" in gates:
        started = time.monotonic()
        bandit = bandit_gate.gate()
        figures.update(
            bandit_findings=len(bandit.new) + len(bandit.unexplained_nosec),
            bandit_files=bandit.files_scanned,
            bandit_lines=bandit.lines_scanned,
            bandit_raw_findings=bandit.raw_findings,
            bandit_accepted=bandit.accepted,
            bandit_inline_suppressed=bandit.inline_suppressed,
            bandit_seconds=round(time.monotonic() - started, 1),
        )
        say(bandit_gate.describe(bandit))
        findings += [{"gate": "bandit", **vars(f)} for f in bandit.new]
        findings += [
            {"gate": "bandit", "nosec_without_reason": n} for n in bandit.unexplained_nosec
        ]
        could_not_run |= bool(bandit.errors)
        findings += [{"gate": "bandit", "could_not_run": e} for e in bandit.errors]

    if "advisories" in gates:
        started = time.monotonic()
        report = advisories.check()
        db = report.database
        figures.update(
            advisory_checked=not report.database_missing,
            advisory_packages_checked=report.packages_checked,
            advisory_advisories_read=report.advisories_read,
            advisory_vulnerable=len(report.vulnerable),
            advisory_could_not_check=len(report.could_not_check),
            advisory_db_commit=db.commit if db else None,
            advisory_db_date=db.commit_date if db else None,
            advisory_db_age_days=db.age_days if db else None,
            advisory_db_stale=bool(
                db and (db.age_days is None or db.age_days > advisories.STALE_AFTER_DAYS)
            ),
            advisory_db_location=db.location if db else None,
            advisory_seconds=round(time.monotonic() - started, 1),
        )
        say(advisories.describe(report))
        findings += [{"gate": "advisories", **vars(f)} for f in report.vulnerable]
        if report.database_missing and allow_missing_db:
            banner = "!" * 72
            say(f"{banner}\n{NOT_RUN}\n{report.could_not_check[0]}\n{banner}")
            figures["advisory_not_run"] = NOT_RUN
        elif report.could_not_check:
            could_not_run = True
            findings += [
                {"gate": "advisories", "could_not_check": c} for c in report.could_not_check
            ]

    if "deploy" in gates:
        started = time.monotonic()
        deploy = deploy_check.run_deploy_check()
        figures.update(
            deploy_check_warnings=deploy.warnings,
            deploy_check_errors=deploy.errors,
            deploy_check_seconds=round(time.monotonic() - started, 1),
        )
        say(
            f"check --deploy: exit {deploy.exit_code}, {deploy.warnings} warnings, "
            f"{deploy.errors} errors {deploy.ids}",
        )
        if deploy.exit_code != 0 or deploy.warnings or deploy.errors:
            findings.append({"gate": "deploy", "ids": deploy.ids, "output": deploy.output})

    passed = not findings and not could_not_run
    code = 0 if passed else (2 if could_not_run else 1)
    return {"part": "static", "passed": passed, "figures": figures, "findings": findings}, code


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kindred.security.static")
    parser.add_argument("--out", type=Path, help="write the part's JSON here")
    parser.add_argument("--full", action="store_true", help="same gates (all are fast)")
    parser.add_argument(
        "--allow-missing-advisory-db",
        action="store_true",
        help="a missing advisory database is a loud notice, not a failure (CI)",
    )
    parser.add_argument(
        "--only", default="bandit,advisories,deploy", help="comma-separated subset of gates"
    )
    args = parser.parse_args(argv)
    gates = [g.strip() for g in args.only.split(",") if g.strip()]
    unknown = set(gates) - {"bandit", "advisories", "deploy"}
    if unknown:
        parser.error(f"unknown gates: {', '.join(sorted(unknown))}")
    result, code = run(allow_missing_db=args.allow_missing_advisory_db, gates=gates)
    text = json.dumps(result, indent=2, default=str)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    verdict = "passed" if result["passed"] else "FAILED"
    if result["figures"].get("advisory_not_run"):
        verdict += f", but {NOT_RUN}"
    say(f"static: {verdict} (exit {code})")
    return code


if __name__ == "__main__":
    sys.exit(main())
