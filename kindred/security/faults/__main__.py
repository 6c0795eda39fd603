"""``python -m kindred.security.faults --out FILE.json [--full]`` (``make faults``).

Starts its own PostgreSQL 15 cluster, Redis, SMTP and SMS mocks and gunicorn, all on
loopback; never touches the machine's shared PostgreSQL or Redis. Exit 0: every
criterion met; 1: findings; 2: could not run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kindred.security.faults import infra

FAULTS = ("broken_variant", "pg_crash", "redis_down", "worker_killed", "disk_full")


@dataclass(frozen=True)
class Sizes:
    writers: int
    before_s: float
    outage_s: float
    after_s: float
    drain_s: float
    lossy_writes: int
    page_rounds: int
    reminder_groups: int
    members_per_group: int
    upload_bytes: int


SMALL = Sizes(
    writers=4, before_s=3, outage_s=4, after_s=3, drain_s=30, lossy_writes=8, page_rounds=3,
    reminder_groups=40, members_per_group=10, upload_bytes=3 * 1024 * 1024,
)  # fmt: skip
FULL = Sizes(
    writers=8, before_s=5, outage_s=6, after_s=5, drain_s=45, lossy_writes=20, page_rounds=10,
    reminder_groups=100, members_per_group=10, upload_bytes=8 * 1024 * 1024,
)  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m kindred.security.faults")
    parser.add_argument("--out", type=Path, required=True, help="where to write the JSON")
    parser.add_argument("--full", action="store_true", help="the larger run (about 3 minutes)")
    parser.add_argument(
        "--only",
        default=",".join(FAULTS),
        help=f"comma-separated subset of {','.join(FAULTS)}",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser.parse_args(argv)


def criteria(figures: dict[str, Any]) -> dict[str, bool]:
    """Each criterion of the fault row (SECURITY.md) for the faults that ran."""
    met: dict[str, bool] = {}
    if "pg_crash" in figures:
        pg = figures["pg_crash"]
        met["pg_crash: acknowledged writes lost = 0"] = pg["lost"] == 0
        met["pg_crash: duplicates = 0"] = pg["duplicates"] == 0
        met["pg_crash: duplicates = 0 when stuck keys are retried after the abandon window"] = (
            pg["after_abandon_window"]["duplicates"] == 0
        )
        met["pg_crash: outage answered 503 (no other 5xx)"] = (
            pg["answered_503"] > 0 and pg["server_errors"] == 0
        )
    if "redis_down" in figures:
        rd = figures["redis_down"]
        met["redis_down: sign-in works"] = bool(rd["sign_in_ok"])
        met["redis_down: clinical pages 200"] = bool(rd["pages_all_200"])
    if "worker_killed" in figures:
        wk = figures["worker_killed"]
        met["worker_killed: reminders missing = 0 (beyond at-most-once email)"] = (
            wk["missing_other"] == 0
        )
        met["worker_killed: duplicated = 0"] = wk["duplicated"] == 0
    if "disk_full" in figures and figures["disk_full"].get("ran"):
        met["disk_full: no orphan files"] = figures["disk_full"]["orphan_files"] == 0
    if "phq9_item9_alerts" in figures:
        met["PHQ-9 item 9: exactly one safety alert under each fault"] = all(
            v == 1 for v in figures["phq9_item9_alerts"]["alerts_by_fault"].values()
        )
    if "broken_variant" in figures:
        met["broken variant caught"] = bool(figures["broken_variant_caught"])
    return met


def _could_not_run(why: str, figures: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "part": "faults",
        "passed": False,
        "could_not_run": why,
        "figures": figures or {},
        "findings": [],
    }


def _stop_on_sigterm(signum: int, frame: object) -> None:
    """The battery runner stops a part that overruns with SIGTERM: unwind, so the run's
    own PostgreSQL, Redis, gunicorn and tmpfs are stopped and removed."""
    raise KeyboardInterrupt


def run(options: argparse.Namespace) -> tuple[dict[str, Any], int]:  # noqa: PLR0912, PLR0915 - one step each
    from kindred.security.faults import scenarios

    sizes = FULL if options.full else SMALL
    wanted = [f.strip() for f in options.only.split(",") if f.strip()]
    unknown = set(wanted) - set(FAULTS)
    if unknown:
        return _could_not_run(f"unknown faults: {sorted(unknown)}"), 2
    missing = infra.requirements_missing()
    if missing:
        return _could_not_run(missing), 2

    base = infra.temporary_base()
    pg = infra.PgCluster(base)
    redis = infra.RedisServer(base)
    smtp = infra.SmtpSink()
    sms = infra.SmsProviderMock()
    web: infra.Gunicorn | None = None
    started = time.monotonic()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    figures: dict[str, Any] = {}
    setup_s: dict[str, float] = {}
    stack: scenarios.Stack | None = None
    try:
        t = time.monotonic()
        pg.init()
        pg.start()
        pg.create_database()
        redis.start()
        smtp.start()
        sms.start()
        setup_s["services"] = time.monotonic() - t
        env = infra.kindred_env(
            database_url=pg.url(),
            redis_url=redis.url,
            smtp_port=smtp.port,
            sms_url=sms.url,
            static_root=infra.static_root(),
        )
        # This process reads and writes the run's own database through Django too.
        os.environ.update(env)
        for name in ("KINDRED_TESTING",):
            os.environ.pop(name, None)
        import django

        django.setup()
        t = time.monotonic()
        if not infra.static_is_current(infra.static_root()):
            infra.manage(env, "collectstatic", "--no-input", "-v0")
        setup_s["collectstatic"] = time.monotonic() - t
        from kindred.security.faults.setup import prepare

        t = time.monotonic()
        fixture = prepare()
        setup_s["migrate_and_cast"] = time.monotonic() - t
        web = infra.Gunicorn(env, workers=options.workers, log_dir=base)
        t = time.monotonic()
        web.start()
        setup_s["gunicorn"] = time.monotonic() - t
        stack = scenarios.Stack(
            base=base, pg=pg, redis=redis, smtp=smtp, sms=sms, env=env, web=web, fixture=fixture
        )
        timings: dict[str, float] = {}
        for fault in FAULTS:
            if fault not in wanted:
                continue
            t = time.monotonic()
            if fault == "broken_variant":
                out = scenarios.broken_variant(stack, writes=sizes.lossy_writes)
                figures["broken_variant"] = out
                figures["broken_variant_caught"] = out["broken_variant_caught"]
            elif fault == "pg_crash":
                figures["pg_crash"] = scenarios.pg_crash(
                    stack,
                    writers=sizes.writers,
                    before_s=sizes.before_s,
                    outage_s=sizes.outage_s,
                    after_s=sizes.after_s,
                    drain_s=sizes.drain_s,
                )
            elif fault == "redis_down":
                figures["redis_down"] = scenarios.redis_down(stack, page_rounds=sizes.page_rounds)
            elif fault == "worker_killed":
                figures["worker_killed"] = scenarios.worker_killed(
                    stack,
                    groups=sizes.reminder_groups,
                    members_per_group=sizes.members_per_group,
                    kill_at=0.4,
                    finish_s=240,
                )
            elif fault == "disk_full":
                figures["disk_full"] = scenarios.disk_full(stack, upload_bytes=sizes.upload_bytes)
            timings[fault] = round(time.monotonic() - t, 1)
        alerts = {
            name: figures[name]["phq9"]["safety_alerts"]
            for name in ("pg_crash", "redis_down", "worker_killed", "disk_full")
            if name in figures and "phq9" in figures[name]
        }
        if alerts:
            figures["phq9_item9_alerts"] = {
                "alerts_by_fault": alerts,
                "exactly_one_each": all(v == 1 for v in alerts.values()),
            }
            for name, count in alerts.items():
                if count != 1:
                    stack.finding(name, "high", f"PHQ-9 item 9 raised {count} safety alerts")
        figures["seconds"] = {
            "setup": {k: round(v, 1) for k, v in setup_s.items()},
            "faults": timings,
        }
    except Exception as exc:  # the run could not complete: report it as such
        result = _could_not_run(f"{type(exc).__name__}: {exc}", figures)
        result["traceback"] = traceback.format_exc()[-4000:]
        result["gunicorn_log"] = web.log_tail() if web else ""
        return result, 2
    finally:
        if web is not None:
            web.stop()
        redis.stop()
        with contextlib.suppress(Exception):  # best effort on the way out
            pg.stop()
        smtp.stop()
        sms.stop()
        if not options.keep:
            shutil.rmtree(base, ignore_errors=True)
    met = criteria(figures)
    passed = all(met.values()) and bool(met)
    findings = stack.findings if stack else []
    result = {
        "part": "faults",
        "passed": passed,
        "criteria": met,
        "figures": figures,
        "findings": findings,
        "started_at": started_at,
        "seconds": round(time.monotonic() - started, 1),
        "full": bool(options.full),
        "temporary_directory": str(base) if options.keep else None,
    }
    return result, 0 if passed else 1


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    result, code = run(options)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    verdict = {0: "passed", 1: "FINDINGS", 2: "could not run"}[code]
    print(f"faults: {verdict} ({result.get('seconds', '?')} s) -> {options.out}")  # noqa: T201 - the command's summary
    for name, ok in result.get("criteria", {}).items():
        print(f"  [{'ok' if ok else 'FAIL'}] {name}")  # noqa: T201 - the command's summary
    for finding in result.get("findings", []):
        print(f"  finding ({finding['severity']}, {finding['fault']}): {finding['finding']}")  # noqa: T201 - the command's summary
    if code == 2:
        print(f"  {result.get('could_not_run')}", file=sys.stderr)  # noqa: T201 - the command's summary
    return code


if __name__ == "__main__":
    sys.exit(main())
