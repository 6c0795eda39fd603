"""The benchmark orchestrator (``python -m kindred.bench``; ``make bench``).

It never imports Django settings itself: every phase runs in a subprocess with the
benchmark's environment (production settings, DEBUG off, its own PostgreSQL database):

1. create the database, migrate, ``seed_scale`` a small data set (2,000 clients) and
   measure query counts and in-process latency;
2. the same on the full data set (20,000 clients), then serve it with gunicorn and
   measure single-user latency over HTTP and requests/s under 16 connections with wrk,
   beside the minimal hello view measured in the same run; then, in the same gunicorn,
   a mixed workload over every route of every role at once, timed per route by the
   client (kindred/bench/mixed.py);
3. on the full data set, the background jobs (kindred/bench/jobs.py) and the PDF
   exports of a member with two years of weekly sessions (kindred/bench/pdf.py), post
   creation throughput in the busiest group space (kindred/bench/space.py) and matching;
4. drop the database, write ``bench/results/<timestamp>.json`` and ``latest.json`` and
   print a summary.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from kindred.bench import load, mixed
from kindred.bench.targets import HELLO, TARGETS, Target

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kindred_bench"
RESULTS_DIR = ROOT / "bench" / "results"
# PERFORMANCE.md targets.
P95_TARGET_MS = 50.0
MAX_QUERIES = 15
MIN_RATIO_TO_HELLO = 0.25


def say(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


# --- the database ----------------------------------------------------------------------


def bench_database_url(given: str | None) -> tuple[str, str]:
    """The PostgreSQL URL to use and a note on how it was chosen. The benchmark drops
    and re-creates its database, so it only ever uses one whose name says "bench"."""
    if not given:
        return DEFAULT_DATABASE_URL, ""
    parts = urlsplit(given)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        return DEFAULT_DATABASE_URL, f"DATABASE_URL is not PostgreSQL; using {DEFAULT_DATABASE_URL}"
    name = parts.path.lstrip("/") or "kindred"
    if "bench" in name:
        return given, ""
    url = urlunsplit(parts._replace(path=f"/{name}_bench"))
    return url, f"DATABASE_URL names {name!r}; the benchmark uses its own {name}_bench"


def _maintenance_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def _database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def recreate_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = _database_name(url)
    with psycopg.connect(_maintenance_url(url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = _database_name(url)
    with psycopg.connect(_maintenance_url(url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def server_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return f"PostgreSQL {row[0]}" if row else "PostgreSQL"


# --- subprocesses ---------------------------------------------------------------------


def bench_env(url: str, static_root: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        # The benchmark is production-like and self-contained: no test mode, no Redis,
        # no secrets from files meant for something else.
        if k not in {"KINDRED_TESTING", "SECRET_KEY_FILE", "REDIS_URL", "REDIS_URL_FILE"}
    }
    env.update(
        {
            "DATABASE_URL": url,
            "DJANGO_DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "KINDRED_FIELD_KEYS": "bench:" + base64.b64encode(secrets.token_bytes(32)).decode(),
            "KINDRED_BENCH": "1",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "STATIC_ROOT": str(static_root),
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "kindred.settings",
        }
    )
    return env


def run_step(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return time.perf_counter() - started, done.stdout


def measure_in_process(
    env: dict[str, str], *, requests: int, warmup: int, cookies: bool
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "inprocess.json"
        args = ["-m", "kindred.bench.inprocess", "--out", str(out)]
        args += ["--requests", str(requests), "--warmup", str(warmup)]
        if cookies:
            args.append("--cookies")
        run_step(args, env)
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def measure_jobs(env: dict[str, str]) -> dict[str, Any]:
    """Session expansion and reminders (kindred/bench/jobs.py), counting every email and
    text in the process that sends them."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "jobs.json"
        jobs_env = {**env, "EMAIL_URL": "memorymail://", "KINDRED_SMS_PROVIDER": "console"}
        run_step(["-m", "kindred.bench.jobs", "--out", str(out)], jobs_env)
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def measure_pdf(env: dict[str, str]) -> dict[str, Any]:
    """The record export and superbill PDFs of a member with two years of weekly
    sessions (kindred/bench/pdf.py), built in the benchmark's database."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pdf.json"
        run_step(["-m", "kindred.bench.pdf", "--out", str(out)], env)
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def measure_space(env: dict[str, str]) -> dict[str, Any]:
    """Post creation throughput in the busiest group space, through the services and
    through the page (kindred/bench/space.py)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "space.json"
        run_step(["-m", "kindred.bench.space", "--out", str(out)], env)
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def measure_background(env: dict[str, str]) -> dict[str, Any]:
    """After the HTTP phase, on the full data set: jobs, PDFs, space posting, matching."""
    say("jobs: a year of sessions for 2,000 groups; 10,000 reminders through one worker")
    jobs = measure_jobs(env)
    say("pdf: record export and superbill of a member with two years of weekly sessions")
    pdf = measure_pdf(env)
    say("space: post creation throughput through the services and the page")
    space = measure_space(env)
    say("matching: 1k x 100, 5k x 500 and 10k x 1,000 against first come, first served")
    matching = measure_matching(env)
    return {"jobs": jobs, "pdf": pdf, "space": space, "matching": matching}


def measure_matching(env: dict[str, str]) -> list[dict[str, Any]]:
    """The matching engine against the first-come-first-served baseline on 1k x 100,
    5k x 500 and 10k x 1,000 synthetic instances (kindred/matching/bench.py; no
    database), each size in a process of its own."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "matching.json"
        run_step(["-m", "kindred.matching.bench", "--out", str(out)], env)
        result: list[dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))
    return result


def prepare_data(url: str, env: dict[str, str], clients: int, seed: int) -> dict[str, Any]:
    say(f"PostgreSQL: fresh database {_database_name(url)}, migrate")
    recreate_database(url)
    migrate_s, _ = run_step(["manage.py", "migrate", "--no-input"], env)
    say(f"seed_scale --clients {clients}")
    seed_s, _ = run_step(
        ["manage.py", "seed_scale", "--clients", str(clients), "--seed", str(seed)], env
    )
    return {
        "clients": clients,
        "seed": seed,
        "migrate_seconds": round(migrate_s, 1),
        "seed_seconds": round(seed_s, 1),
    }


# --- the HTTP phase -------------------------------------------------------------------


def http_phase(
    env: dict[str, str],
    *,
    available: list[tuple[Target, str]],
    cookies: dict[str, str],
    options: argparse.Namespace,
    wrk: str | None,
) -> tuple[dict[str, dict[str, Any]], dict[str, Any], dict[str, float]]:
    """Each target on its own (single user, then under load), then the mixed workload
    in the same gunicorn; returns the per-target results, the mixed phase's and the
    workers' peak memory."""
    results: dict[str, dict[str, Any]] = {}
    order = [(HELLO, HELLO.path), *available, (HELLO, HELLO.path)]
    with load.gunicorn(env, workers=options.workers, python=sys.executable) as (port, pid):
        for index, (target, path) in enumerate(order):
            key = "hello_again" if target is HELLO and index > 0 else target.name
            request = load.Request(path, cookies.get(target.actor, ""))
            say(f"HTTP {key}: {path}")
            # Unrecorded load first, so that every worker has loaded this view and its
            # templates before anything is timed.
            _load(request, port, options, wrk, seconds=options.warmup_seconds)
            single = load.single_user(
                request, port, requests=options.requests, warmup=options.warmup
            )
            if "error" in single:
                results[key] = {"error": single["error"]}
                continue
            under_load = _load(request, port, options, wrk, seconds=options.duration)
            results[key] = {"single_user": single, "load": under_load}
        mixed_result = mixed_phase(available, cookies, port, options)
        rss = load.peak_rss_mb(pid)
    return results, mixed_result, rss


def mixed_phase(
    available: list[tuple[Target, str]],
    cookies: dict[str, str],
    port: int,
    options: argparse.Namespace,
) -> dict[str, Any]:
    """Every route of every role at once (kindred/bench/mixed.py), each request as its
    person sends it in the per-route phase (same path, cookie and headers)."""
    if options.mixed_seconds <= 0:
        return {"skipped": "--mixed-seconds 0"}
    routes = mixed.routes_for(available, cookies)
    if not routes:
        return {"skipped": "no route to mix"}
    connections = options.mixed_connections or options.connections
    say(
        f"HTTP mixed: {len(routes)} routes of every role, weighted, {connections} "
        f"connections x {options.mixed_seconds} s, seed {options.seed}"
    )
    result = mixed.mixed_load(
        routes, port, connections=connections, seconds=options.mixed_seconds, seed=options.seed
    )
    total = result["total"]
    say(
        f"HTTP mixed: {total['requests']:,} requests, {total['requests_per_s']}/s, p99 "
        f"{(total['latency_ms'] or {}).get('p99', '-')} ms, errors {total['errors']}"
    )
    return result


def _load(
    request: load.Request, port: int, options: argparse.Namespace, wrk: str | None, *, seconds: int
) -> dict[str, Any]:
    if wrk is not None:
        return load.wrk_load(
            wrk,
            request,
            port,
            connections=options.connections,
            threads=options.threads,
            seconds=seconds,
        )
    return load.python_load(request, port, connections=options.connections, seconds=seconds)


# --- assembling -----------------------------------------------------------------------


def _git_commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head}{'+local changes' if dirty else ''}"


def combine(
    small: dict[str, Any] | None,
    large: dict[str, Any],
    http: dict[str, dict[str, Any]],
    *,
    small_clients: int,
    large_clients: int,
) -> tuple[dict[str, Any], float | None]:
    hello_rps = [
        http[key]["load"].get("requests_per_s", 0.0)
        for key in ("hello", "hello_again")
        if key in http and "load" in http[key]
    ]
    hello = sum(hello_rps) / len(hello_rps) if hello_rps else None
    out: dict[str, Any] = {}
    for target in TARGETS:
        inproc_large = large["targets"].get(target.name, {})
        if "skipped" in inproc_large:
            out[target.name] = {"title": target.title, "skipped": inproc_large["skipped"]}
            continue
        entry: dict[str, Any] = {
            "title": target.title,
            "path": inproc_large.get("path"),
            "as": target.actor,
            "kind": target.kind,
        }
        sizes = [(str(large_clients), inproc_large)]
        if small is not None:
            sizes.insert(0, (str(small_clients), small["targets"].get(target.name, {})))
        errors = {size: r["error"] for size, r in sizes if "error" in r}
        if errors:
            entry["error"] = errors
        entry["queries"] = {size: r.get("queries") for size, r in sizes}
        counts = [c for c in entry["queries"].values() if c is not None]
        entry["queries_constant"] = len(set(counts)) == 1 if len(counts) > 1 else None
        entry["in_process_latency_ms"] = {size: r.get("latency_ms") for size, r in sizes}
        measured = http.get(target.name, {})
        if "error" in measured:
            entry["http_error"] = measured["error"]
        if "single_user" in measured:
            entry["http_single_user_latency_ms"] = measured["single_user"]["latency_ms"]
            entry["load"] = measured["load"]
            rps = measured["load"].get("requests_per_s")
            if hello and rps is not None:
                entry["ratio_to_hello"] = round(rps / hello, 3)
        if target is HELLO and "hello_again" in http and "load" in http["hello_again"]:
            entry["load_again_at_end"] = http["hello_again"]["load"]
        entry["meets_targets"] = _targets_met(entry, target)
        out[target.name] = entry
    return out, hello


def _targets_met(entry: dict[str, Any], target: Target) -> dict[str, bool | None]:
    if target is HELLO:
        return {}
    counts = [c for c in entry.get("queries", {}).values() if c is not None]
    p95 = entry.get("http_single_user_latency_ms", {}).get("p95")
    ratio = entry.get("ratio_to_hello")
    return {
        "queries_at_most_15": max(counts) <= MAX_QUERIES if counts else None,
        "queries_constant": entry.get("queries_constant"),
        "p95_under_50ms": p95 < P95_TARGET_MS if p95 is not None else None,
        "at_least_25pct_of_hello": ratio >= MIN_RATIO_TO_HELLO if ratio is not None else None,
    }


def summary(results: dict[str, Any]) -> str:
    s = results["setup"]
    lines = [
        "",
        f"Kindred benchmark {results['started_at']} ({results['git_commit']})",
        (
            f"  {s['database']}; gunicorn {s['gunicorn_workers']} sync workers on "
            f"{s['cpu_count']} cores; {s['load_generator']}, {s['connections']} connections "
            f"x {s['duration_seconds']} s; {s['single_user_requests']} single-user requests"
        ),
    ]
    busy = s.get("load_average_1min_before")
    if busy is not None and busy > 0.5 * (s["cpu_count"] or 1):
        lines.append(
            f"  NOTE: load average was {busy} before the run (other work on the machine): "
            "absolute figures are pessimistic; ratios and query counts still hold."
        )
    if s.get("allowed_busy"):
        lines.append("  NOTE: timed on a busy machine because of --allow-busy.")
    lines.extend(
        f"  data: {data['clients']:,} clients, seeded in {data['seed_seconds']} s "
        f"(migrate {data['migrate_seconds']} s)"
        for data in results["datasets"]
    )
    sizes = [str(d["clients"]) for d in results["datasets"]]
    header = (
        f"  {'target':<24}{'queries ' + '/'.join(_thousands(k) for k in sizes):>20}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>9}{'x hello':>9}  ok"
    )
    lines += ["", header]
    skipped = []
    for name, entry in results["targets"].items():
        if "skipped" in entry:
            skipped.append(f"  skipped {name}: {entry['skipped']}")
            continue
        queries = "/".join(
            "-" if entry["queries"].get(k) is None else str(entry["queries"][k]) for k in sizes
        )
        lat = entry.get("http_single_user_latency_ms", {})
        rps = entry.get("load", {}).get("requests_per_s")
        ratio = entry.get("ratio_to_hello")
        met = [v for v in entry.get("meets_targets", {}).values() if v is not None]
        ok = "" if name == "hello" else ("yes" if all(met) else "NO")
        if "error" in entry or "http_error" in entry:
            ok = "ERROR"
        lines.append(
            f"  {name:<24}{queries:>20}{_f(lat.get('p50')):>9}{_f(lat.get('p95')):>9}"
            f"{_f(lat.get('p99')):>9}{_f(rps, 0):>9}{_f(ratio, 2):>9}  {ok}"
        )
    lines += ["", *skipped]
    lines.extend(mixed.summary_lines(results.get("mixed_load") or {}))
    lines.extend(jobs_summary(results.get("jobs") or {}))
    lines.extend(pdf_summary(results.get("pdf") or {}))
    lines.extend(space_summary(results.get("space") or {}))
    lines.extend(matching_summary(results.get("matching") or []))
    peak = results.get("worker_peak_rss_mb") or {}
    if peak:
        lines.append(f"  worker peak RSS: {max(peak.values())} MB (of {len(peak)} workers)")
    lines.append(
        "  targets (PERFORMANCE.md): queries <= 15 and constant; HTTP p95 < 50 ms; "
        "req/s >= 25 % of hello"
    )
    return "\n".join(lines)


def jobs_summary(jobs: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    expansion = jobs.get("session_expansion")
    if expansion:
        ok = "yes" if expansion["meets_target"] else "NO"
        lines.append(
            f"  session expansion: {expansion['sessions_created']:,} sessions for "
            f"{expansion['groups']:,} groups over {expansion['days']} days in "
            f"{expansion['seconds']} s (target <= 5 s)  {ok}"
        )
    sent = jobs.get("reminders")
    if sent:
        ok = "yes" if sent["meets_target"] else "NO"
        lines.append(
            f"  reminders: {sent['reminders']:,} through one db_worker in "
            f"{sent['worker_seconds']} s ({sent['reminders_per_second']}/s; planned in "
            f"{sent['plan_seconds']} s, queued in {sent['queue_seconds']} s); duplicates "
            f"{sent['duplicates']}, lost {sent['lost']} (target <= 60 s, 0, 0)  {ok}"
        )
    return lines


def space_summary(space: dict[str, Any]) -> list[str]:
    if not space:
        return []
    if "skipped" in space:
        return [f"  space post creation: skipped ({space['skipped']})"]
    lines: list[str] = []
    for key, label in (("services", "services"), ("page", "the page")):
        part = space.get(key) or {}
        if "posts_per_second" not in part:
            lines.append(f"  space post creation through {label}: {part.get('skipped', '-')}")
            continue
        lat = part["latency_ms"]
        lines.append(
            f"  space post creation through {label}: {part['posts']:,} posts in "
            f"{part['seconds']} s = {part['posts_per_second']}/s (one post p50 "
            f"{lat['p50']} ms, p95 {lat['p95']} ms; risk screening and audit included)"
        )
    return lines


def pdf_summary(pdf: dict[str, Any]) -> list[str]:
    member = pdf.get("member")
    if not member:
        return []
    lines = [
        (
            f"  pdf: a member with {member['sessions']} weekly sessions "
            f"({member['member_notes']} notes, {member['questionnaires']} questionnaires, "
            f"{member['charges']} charges)"
        )
    ]
    for key, label in (("record_pdf", "record export"), ("superbill_pdf", "superbill")):
        made = pdf[key]
        lines.append(
            f"    {label}: p50 {made['p50_seconds']} s, max {made['max_seconds']} s over "
            f"{made['runs']} runs; {made['pages']} pages, {made['bytes']:,} bytes"
        )
    return lines


def matching_summary(sizes: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for size in sizes:
        milp, first = size["milp"], size["greedy"]
        target = size["people"] >= 10_000
        ok = ("  yes" if size["meets_target"] else "  NO") if target else ""
        lines.append(
            f"  matching {size['people']:,} x {size['groups']:,}: {milp['seconds']} s, gap "
            f"{milp['gap']:.4%} ({milp['status']}), {milp['placements']:,} placed "
            f"(greedy {first['placements']:,} in {first['seconds']} s), concern overlap "
            f"{milp['mean_concern_overlap']} (greedy {first['mean_concern_overlap']}), "
            f"peak RSS {size['peak_rss_mb']} MB{' (target <= 10 s, gap <= 1 %)' if target else ''}"
            f"{ok}"
        )
    return lines


def _thousands(count: str) -> str:
    return f"{int(count) / 1000:g}k"


def _f(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


@dataclass(frozen=True)
class BusyVerdict:
    """Whether the machine is too busy to time on, and what to say about it."""

    refuse: bool
    allowed_busy: bool
    message: str


def busy_verdict(load_1min: float | None, cores: int, *, allow_busy: bool) -> BusyVerdict:
    """Timings taken while other work runs are pessimistic and noisy, so the benchmark
    refuses to time when the 1-minute load average is above the number of cores, unless
    told otherwise (``--allow-busy``: it then says so and the JSON records it)."""
    cores = max(1, cores)
    if load_1min is None or load_1min <= cores:
        if load_1min is not None and load_1min > 0.5 * cores:
            return BusyVerdict(
                refuse=False,
                allowed_busy=False,
                message=f"the machine is fairly busy (load average {load_1min:.1f} on "
                f"{cores} cores); figures may be noisy.",
            )
        return BusyVerdict(refuse=False, allowed_busy=False, message="")
    if allow_busy:
        return BusyVerdict(
            refuse=False,
            allowed_busy=True,
            message=f"the machine is busy (load average {load_1min:.1f} above its {cores} "
            "cores); timing anyway because of --allow-busy: figures will be pessimistic "
            "and noisy, and the results say allowed_busy.",
        )
    return BusyVerdict(
        refuse=True,
        allowed_busy=False,
        message=f"the machine is busy (1-minute load average {load_1min:.1f} above its "
        f"{cores} cores): refusing to time, the figures would not be comparable. Wait "
        "for other work to finish, or pass --allow-busy to time anyway.",
    )


def write_results(results: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(results, indent=2) + "\n"
    path = out_dir / f"{stamp}.json"
    path.write_text(text, encoding="utf-8")
    (out_dir / "latest.json").write_text(text, encoding="utf-8")
    return path


# --- main ----------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(
        prog="python -m kindred.bench", description="Kindred benchmarks (docs/benchmarks.md)."
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument(
        "--small-clients",
        type=int,
        default=2_000,
        help="a smaller data set to compare query counts with (0 to skip)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--requests", type=int, default=200, help="single-user requests")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per target")
    parser.add_argument(
        "--warmup-seconds", type=int, default=2, help="unrecorded load before each target"
    )
    parser.add_argument(
        "--mixed-seconds",
        type=int,
        default=60,
        help="seconds of the mixed workload after the per-route load (0 to skip)",
    )
    parser.add_argument(
        "--mixed-connections",
        type=int,
        default=None,
        help="connections of the mixed workload (default: --connections)",
    )
    parser.add_argument("--threads", type=int, default=cores, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2 * cores, help="gunicorn workers")
    parser.add_argument("--keep-db", action="store_true", help="leave the database in place")
    parser.add_argument("--out-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument(
        "--allow-busy",
        action="store_true",
        help="time even when the load average is above the number of cores (recorded)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    load_before = _load_average()
    verdict = busy_verdict(load_before, os.cpu_count() or 1, allow_busy=options.allow_busy)
    if verdict.refuse:
        print(f"error: {verdict.message}", file=sys.stderr)
        return 2
    if verdict.message:
        say(verdict.message)
    url, note = bench_database_url(options.database_url)
    if note:
        say(note)
    try:
        version = server_version(_maintenance_url(url))
    except Exception as exc:  # any connection failure gets the same advice
        print(
            f"error: PostgreSQL is not reachable at {_maintenance_url(url)} ({exc}).\n"
            "Start PostgreSQL, or point DATABASE_URL at one "
            "(e.g. postgres://postgres@127.0.0.1:5432/kindred_bench).",
            file=sys.stderr,
        )
        return 2
    wrk, detail = load.ensure_wrk()
    generator = detail if wrk else f"Python threads (fallback, wrk unavailable: {detail})"
    say(f"load generator: {generator}")
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    static_root = Path(tempfile.mkdtemp(prefix="kindred-bench-static-"))
    env = bench_env(url, static_root)
    datasets: list[dict[str, Any]] = []
    small: dict[str, Any] | None = None
    try:
        say("collectstatic (production static storage)")
        run_step(["manage.py", "collectstatic", "--no-input", "-v0"], env)
        if options.small_clients > 0:
            datasets.append(prepare_data(url, env, options.small_clients, options.seed))
            say("in-process: query counts and latency (small data set)")
            small = measure_in_process(
                env, requests=options.requests, warmup=options.warmup, cookies=False
            )
            datasets[-1]["rows"] = small["rows"]
        datasets.append(prepare_data(url, env, options.clients, options.seed))
        say("in-process: query counts and latency (full data set)")
        large = measure_in_process(
            env, requests=options.requests, warmup=options.warmup, cookies=True
        )
        datasets[-1]["rows"] = large["rows"]
        cookies: dict[str, str] = large.pop("cookies")
        available = [
            (t, large["targets"][t.name]["path"])
            for t in TARGETS
            if t is not HELLO
            and "skipped" not in large["targets"][t.name]
            and "error" not in large["targets"][t.name]
        ]
        http, mixed_load, rss = http_phase(
            env, available=available, cookies=cookies, options=options, wrk=wrk
        )
        background = measure_background(env)
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
        if not options.keep_db:
            drop_database(url)
    targets, hello = combine(
        small, large, http, small_clients=options.small_clients, large_clients=options.clients
    )
    results: dict[str, Any] = {
        "format": 1,
        "started_at": started_at,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
        "setup": {
            "database": version,
            "database_name": _database_name(url),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "gunicorn_workers": options.workers,
            "load_generator": generator,
            "load_generator_is_fallback": wrk is None,
            "connections": options.connections,
            "wrk_threads": options.threads if wrk else None,
            "duration_seconds": options.duration,
            "single_user_requests": options.requests,
            "warmup_requests": options.warmup,
            "warmup_load_seconds": options.warmup_seconds,
            "mixed_seconds": options.mixed_seconds,
            "mixed_connections": options.mixed_connections or options.connections,
            "settings": "production (DJANGO_DEBUG=0), requests sent as if from a TLS proxy",
            "load_average_1min_before": load_before,
            "allowed_busy": verdict.allowed_busy,
            "load_average_1min_after": _load_average(),
        },
        "datasets": datasets,
        "hello_requests_per_s": round(hello, 1) if hello else None,
        "targets": targets,
        "mixed_load": mixed_load,
        **background,
        "worker_peak_rss_mb": rss,
    }
    path = write_results(results, options.out_dir)
    print(summary(results))
    print(f"\n  results: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0
