"""Where a page's time goes: cProfile over repeated requests to benchmark targets,
with every function's own time put in one of a few buckets.

    python -m kindred.bench.profiling --out FILE [--targets home_member,client_list]
        [--requests 50] [--warmup 10] [--top 12]

Run it against the scale data set (``DATABASE_URL`` naming it, as ``make bench
--keep-db`` leaves it). The buckets add up to the profiled time per request:

- ``database``: the driver (psycopg, or sqlite3) and waiting for the database's answer;
- ``orm``: Django's ORM building SQL and turning rows into objects;
- ``templates``: Django's template engine;
- ``django``: the rest of Django and its add-ons (request handling, middleware,
  sessions, authentication, allauth, forms, URL resolving, translation);
- ``kindred``: Kindred's own code;
- ``python``: the standard library and other libraries.

cProfile itself slows pure-Python code more than the time spent waiting for the
database, so the shares are what matters, not the milliseconds (which are also
reported, unprofiled, for comparison).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any

BUCKETS = ("database", "orm", "templates", "django", "kindred", "python")
DEFAULT_TARGETS = (
    "home_member",
    "home_facilitator",
    "client_list",
    "attendance_sheet",
    "group_dashboard",
    "api_client_list",
)


#: (bucket, path fragments), first match wins; anything else is "python".
_PLACES = (
    ("orm", ("/django/db/",)),
    ("templates", ("/django/template/", "/django/templatetags/")),
    ("kindred", ("/kindred/",)),
    ("django", ("/django/", "/allauth/", "/rest_framework/", "/csp/", "/django_", "/drf_")),
)


def bucket(filename: str, function: str) -> str:
    """The bucket of one profiled function (its file, or its name for built-ins)."""
    path = filename.replace("\\", "/")
    if any(driver in path or driver in function for driver in ("psycopg", "sqlite3", "socket")):
        return "database"
    for name, fragments in _PLACES:
        if any(fragment in path for fragment in fragments):
            return name
    return "python"


def breakdown(stats: pstats.Stats, requests: int, top: int) -> dict[str, Any]:
    """Own time per bucket (ms per request) and the functions with the most own time."""
    totals = dict.fromkeys(BUCKETS, 0.0)
    rows: list[tuple[float, str, str]] = []
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, line, function), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        name = bucket(filename, function)
        totals[name] += tottime
        rows.append((tottime, name, f"{_short(filename)}:{line}({function})"))
    profiled = sum(totals.values())
    rows.sort(reverse=True)
    return {
        "profiled_ms_per_request": round(profiled * 1000 / requests, 2),
        "ms_per_request": {k: round(v * 1000 / requests, 2) for k, v in totals.items()},
        "share": {k: round(v / profiled, 3) if profiled else 0.0 for k, v in totals.items()},
        "top_functions": [
            {"function": label, "bucket": name, "ms_per_request": round(t * 1000 / requests, 3)}
            for t, name, label in rows[:top]
        ],
    }


def _short(filename: str) -> str:
    path = filename.replace("\\", "/")
    for marker in ("/site-packages/", "/kindred/", "/lib/python"):
        if marker in path:
            cut = path.index(marker) + (0 if marker == "/kindred/" else len(marker))
            return path[cut:].lstrip("/")
    return path


def profile_target(http: Any, path: str, *, requests: int, warmup: int, top: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kindred.bench.inprocess import _get

    first = _get(http, path)
    if first.status_code != 200:
        return {"path": path, "error": f"status {first.status_code}"}
    for _ in range(warmup):
        _get(http, path)
    with CaptureQueriesContext(connection) as captured:
        _get(http, path)
    # Read now: the next request's start clears the connection's query log.
    queries = len(captured.captured_queries)
    started = time.perf_counter()
    for _ in range(requests):
        _get(http, path)
    plain_ms = (time.perf_counter() - started) * 1000 / requests
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        _get(http, path)
    profiler.disable()
    stats = pstats.Stats(profiler)
    return {
        "path": path,
        "queries": queries,
        "unprofiled_ms_per_request": round(plain_ms, 2),
        **breakdown(stats, requests, top),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kindred.bench.profiling")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--targets", default=",".join(DEFAULT_TARGETS))
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindred.settings")
    import django

    django.setup()
    from django.db import connection

    from kindred.bench.inprocess import dataset_rows, prepare, signed_in_client
    from kindred.bench.targets import TARGETS, fill

    wanted = [name.strip() for name in args.targets.split(",") if name.strip()]
    known = {t.name: t for t in TARGETS}
    unknown = [name for name in wanted if name not in known]
    if unknown:
        parser.error(f"unknown targets: {', '.join(unknown)} (see kindred/bench/targets.py)")
    people, values = prepare()
    results: dict[str, Any] = {}
    for name in wanted:
        target = known[name]
        user = people.get(target.actor) if target.actor != "anonymous" else None
        if target.actor != "anonymous" and user is None:
            results[name] = {"skipped": "no such person in the data"}
            continue
        try:
            path = fill(target, values)
        except KeyError as missing:
            results[name] = {"skipped": f"no {missing} in the data"}
            continue
        http = signed_in_client(user)
        results[name] = profile_target(
            http, path, requests=args.requests, warmup=args.warmup, top=args.top
        )
        print(f"{name}: {json.dumps(results[name].get('share'))}", file=sys.stderr)
    payload = {
        "database": connection.vendor,
        "rows": dataset_rows(),
        "requests_per_target": args.requests,
        "targets": results,
    }
    args.out.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
