"""The mixed workload: every connection picks its next request from all the routes of all
roles, weighted and seeded, and the client times each answer per route.

wrk cannot time per route from its Lua hooks (its latency histogram is one for the whole
run), so this is a Python thread-based generator, like the per-route phase's fallback:
one thread per connection, each sending requests back to back. Each thread keeps its
connection open when the server allows it; gunicorn's sync workers (production here)
close the connection after every response, so against them every request opens a new
connection, as a browser's would behind the proxy. ``keepalive`` in the result says what
happened (connections opened against requests sent).

A request is an error when the socket fails (refused, reset, timed out), when the answer
is not 2xx/3xx, or when it is a redirect into the account flows (``/accounts/``: sign-in,
two-step verification, re-authentication): a person whose session ran out is not served,
whatever the status says.

No Django imports: the orchestrator (run.py) runs this in its own process.
"""

from __future__ import annotations

import http.client
import random
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any
from urllib.parse import urlsplit

from kindred.bench.load import HOST, Request
from kindred.bench.stats import percentiles
from kindred.bench.targets import Target

GENERATOR = (
    "Python threads (kindred.bench.mixed: weighted, seeded route choice per connection, "
    "client-side timing per route)"
)

#: A redirect whose Location starts with this is a redirect into the account flows
#: (sign-in, two-step verification, re-authentication): counted as an error.
SIGN_IN_PREFIX = "/accounts/"

#: How often a route comes up in the mix, relative to the others (PERFORMANCE.md's
#: practice: far more members than staff, facilitators next, a few coordinators, one
#: admin and one billing person). A route not named here weighs DEFAULT_WEIGHT; hello
#: is never in the mix (nobody asks for it). docs/benchmarks.md has the table.
WEIGHTS: dict[str, int] = {
    # Members: their home page and their group space most of all.
    "home_member": 8,
    "space": 8,
    "space_thread": 5,
    "notifications": 5,
    "member_checkins": 3,
    "api_notifications": 3,
    # Facilitators around a session.
    "home_facilitator": 5,
    "attendance_sheet": 3,
    "session_notes": 3,
    "group_dashboard": 3,
    "space_facilitator": 3,
    # Coordinators.
    "home_coordinator": 3,
}
DEFAULT_WEIGHT = 1
REQUEST_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Route:
    """One route of the mix: a name (the target's), the request as its person sends it
    (path, their session cookie, the proxy's headers) and its weight."""

    name: str
    request: Request
    weight: float
    actor: str = ""


def weight_of(target: Target) -> int:
    return 0 if target.kind == "hello" else WEIGHTS.get(target.name, DEFAULT_WEIGHT)


def routes_for(available: Sequence[tuple[Target, str]], cookies: dict[str, str]) -> list[Route]:
    """The mix of the benchmark: each available target with its person's cookie and its
    weight (hello, weight 0, left out)."""
    return [
        Route(target.name, Request(path, cookies.get(target.actor, "")), weight, target.actor)
        for target, path in available
        if (weight := weight_of(target)) > 0
    ]


class Picker:
    """The seeded route sequence of one connection: the same seed and connection index
    always give the same sequence, whatever the other connections do."""

    def __init__(self, routes: Sequence[Route], *, seed: int, connection: int) -> None:
        if not routes:
            raise ValueError("a mixed workload needs at least one route")
        if any(route.weight <= 0 for route in routes):
            raise ValueError("every route of the mix needs a positive weight")
        self.routes = list(routes)
        self.cumulative = list(accumulate(route.weight for route in self.routes))
        # Not for security: a reproducible sequence is the point.
        self.rng = random.Random(f"kindred-mixed:{seed}:{connection}")

    def next(self) -> Route:
        return self.rng.choices(self.routes, cum_weights=self.cumulative, k=1)[0]


def plan(routes: Sequence[Route], *, seed: int, connection: int, count: int) -> list[str]:
    """The first ``count`` route names connection ``connection`` sends (for checking)."""
    picker = Picker(routes, seed=seed, connection=connection)
    return [picker.next().name for _ in range(count)]


def expected_shares(routes: Sequence[Route]) -> dict[str, float]:
    total = sum(route.weight for route in routes)
    return {route.name: route.weight / total for route in routes}


def is_sign_in_redirect(status: int, location: str | None) -> bool:
    return 300 <= status < 400 and urlsplit(location or "").path.startswith(SIGN_IN_PREFIX)


@dataclass
class _Tally:
    """What one connection saw on one route."""

    samples: list[float] = field(default_factory=list)
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    non_2xx_3xx: int = 0
    sign_in_redirects: int = 0
    socket_errors: int = 0

    def merge(self, other: _Tally) -> None:
        self.samples.extend(other.samples)
        self.requests += other.requests
        self.statuses.update(other.statuses)
        self.non_2xx_3xx += other.non_2xx_3xx
        self.sign_in_redirects += other.sign_in_redirects
        self.socket_errors += other.socket_errors


class _Connection:
    """One client connection, kept open while the server keeps it open."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port = port
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.opened = 0
        self.reused = 0

    def get(self, request: Request) -> tuple[int, str | None]:
        fresh = self.conn is None
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            self.opened += 1
        else:
            self.reused += 1
        try:
            self.conn.request("GET", request.path, headers=request.headers())
            response = self.conn.getresponse()
            response.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.close()
            if fresh:
                raise
            # A kept-alive connection the server had closed meanwhile: once more on a
            # new one, as every HTTP client does.
            return self.get(request)
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.will_close:
            self.close()
        return response.status, response.getheader("Location")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def mixed_load(
    routes: Sequence[Route],
    port: int,
    *,
    connections: int,
    seconds: float,
    seed: int,
    max_requests_per_connection: int | None = None,
    timeout: float = REQUEST_TIMEOUT_S,
) -> dict[str, Any]:
    """Run the mix: ``connections`` threads, each sending requests back to back for
    ``seconds`` (or until it has sent ``max_requests_per_connection``), picking each
    request's route with its own seeded sequence. Returns the figures per route and in
    total (latency in ms as the client sees it, from sending to the last byte)."""
    if connections < 1:
        raise ValueError("a mixed workload needs at least one connection")
    if seconds <= 0 and max_requests_per_connection is None:
        raise ValueError("a mixed workload needs a duration or a request count")
    routes = list(routes)
    names = [route.name for route in routes]
    if len(set(names)) != len(names):
        raise ValueError("route names must be unique")
    pickers = [Picker(routes, seed=seed, connection=i) for i in range(connections)]
    lock = threading.Lock()
    tallies: dict[str, _Tally] = {route.name: _Tally() for route in routes}
    opened = [0, 0]  # connections opened, requests sent on a kept-alive connection
    started = time.monotonic()
    deadline = started + seconds if seconds > 0 else None

    def worker(picker: Picker) -> None:
        local: dict[str, _Tally] = {route.name: _Tally() for route in routes}
        client = _Connection(port, timeout)
        sent = 0
        try:
            while (deadline is None or time.monotonic() < deadline) and (
                max_requests_per_connection is None or sent < max_requests_per_connection
            ):
                route = picker.next()
                tally = local[route.name]
                tally.requests += 1
                sent += 1
                began = time.perf_counter_ns()
                try:
                    status, location = client.get(route.request)
                except (OSError, http.client.HTTPException):
                    tally.socket_errors += 1
                    continue
                tally.samples.append((time.perf_counter_ns() - began) / 1e6)
                tally.statuses[status] += 1
                if not 200 <= status < 400:
                    tally.non_2xx_3xx += 1
                elif is_sign_in_redirect(status, location):
                    tally.sign_in_redirects += 1
        finally:
            client.close()
            with lock:
                for name, tally in local.items():
                    tallies[name].merge(tally)
                opened[0] += client.opened
                opened[1] += client.reused

    threads = [threading.Thread(target=worker, args=(picker,)) for picker in pickers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    run = {"connections": connections, "seconds": seconds, "seed": seed}
    return _report(routes, tallies, elapsed, run, opened)


def _report(
    routes: list[Route],
    tallies: dict[str, _Tally],
    elapsed: float,
    run: dict[str, Any],
    opened: list[int],
) -> dict[str, Any]:
    shares = expected_shares(routes)
    total = _Tally()
    per_route: dict[str, Any] = {}
    for route in routes:
        tally = tallies[route.name]
        total.merge(tally)
        per_route[route.name] = {
            "path": route.request.path,
            "as": route.actor,
            "weight": route.weight,
            **_figures(tally),
            "expected_share": round(shares[route.name], 4),
        }
    for entry in per_route.values():
        entry["share"] = round(entry["requests"] / total.requests, 4) if total.requests else 0.0
    totals = _figures(total)
    slowest = max(
        (name for name, e in per_route.items() if e["latency_ms"]),
        key=lambda name: per_route[name]["latency_ms"]["p99"],
        default=None,
    )
    totals.update(
        {
            "seconds": round(elapsed, 2),
            "requests_per_s": round(total.requests / elapsed, 1) if elapsed else 0.0,
            "slowest_route_by_p99": slowest,
        }
    )
    sent = opened[0] + opened[1]
    return {
        "generator": GENERATOR,
        **run,
        "routes": per_route,
        "total": totals,
        "keepalive": {
            "connections_opened": opened[0],
            "requests_on_kept_connections": opened[1],
            "server_closed_after_every_response": sent > 0 and opened[1] == 0,
        },
        "meets_targets": {"errors_0": totals["errors"] == 0 and total.requests > 0},
    }


def _figures(tally: _Tally) -> dict[str, Any]:
    errors = tally.non_2xx_3xx + tally.sign_in_redirects + tally.socket_errors
    return {
        "requests": tally.requests,
        "latency_ms": percentiles(tally.samples),
        "statuses": {str(code): n for code, n in sorted(tally.statuses.items())},
        "non_2xx_3xx": tally.non_2xx_3xx,
        "sign_in_redirects": tally.sign_in_redirects,
        "socket_errors": tally.socket_errors,
        "errors": errors,
    }


def summary_lines(mixed: dict[str, Any]) -> list[str]:
    """The console summary of the mixed phase (run.summary)."""
    if not mixed:
        return []
    if "skipped" in mixed or "error" in mixed:
        return [f"  mixed workload: {mixed.get('skipped') or mixed.get('error')}"]
    total = mixed["total"]
    lat = total["latency_ms"] or {}
    ok = "yes" if mixed["meets_targets"]["errors_0"] else "NO"
    lines = [
        (
            f"  mixed workload: {len(mixed['routes'])} routes, {mixed['connections']} "
            f"connections x {mixed['seconds']} s (seed {mixed['seed']}): "
            f"{total['requests']:,} requests, {total['requests_per_s']}/s, p50 "
            f"{lat.get('p50', '-')} ms, p99 {lat.get('p99', '-')} ms, errors "
            f"{total['errors']} (non-2xx/3xx {total['non_2xx_3xx']}, sign-in redirects "
            f"{total['sign_in_redirects']}, socket {total['socket_errors']}) (target: "
            f"errors 0)  {ok}"
        ),
        (
            f"    {'route':<26}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
            f"{'max ms':>9}{'errors':>8}"
        ),
    ]
    for name, entry in mixed["routes"].items():
        r = entry["latency_ms"] or {}
        lines.append(
            f"    {name:<26}{entry['requests']:>9}{_f(r.get('p50')):>9}{_f(r.get('p95')):>9}"
            f"{_f(r.get('p99')):>9}{_f(r.get('max')):>9}{entry['errors']:>8}"
        )
    return lines


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
