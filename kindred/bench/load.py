"""The HTTP phase: gunicorn as in production, single-user latency over real sockets,
and requests/s under concurrent connections with wrk (or, if wrk cannot be had, a
Python thread-based load generator, which the results say)."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kindred.bench.stats import percentiles
from kindred.core.liveserver import LiveServer

HOST = "127.0.0.1"

# wrk's Lua hook: print the summary as one JSON line, with the percentiles we report.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'KINDRED_WRK {"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, '
    .. '"read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
"""


@dataclass(frozen=True)
class Request:
    path: str
    cookie: str

    def headers(self) -> dict[str, str]:
        # As behind the production reverse proxy, which terminates TLS.
        headers = {"X-Forwarded-Proto": "https", "Host": HOST}
        if self.cookie:
            headers["Cookie"] = self.cookie
        return headers


#: gunicorn as in production: sync workers; a deep backlog for the load phase.
GUNICORN_OPTIONS = (
    "--worker-class", "sync", "--backlog", "2048", "--log-level", "warning",
    "--graceful-timeout", "5",
)  # fmt: skip


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int, python: str) -> Iterator[tuple[int, int]]:
    """Serve Kindred with gunicorn (sync workers; kindred.core.liveserver), ready once
    /healthz answers 200; yields (port, master pid)."""
    server = LiveServer(
        env,
        workers=workers,
        options=GUNICORN_OPTIONS,
        python=python,
        cwd=Path.cwd(),
        start_seconds=60,
        stop_seconds=15,
    )
    with server:
        yield server.port, server.pid


def get(request: Request, port: int) -> tuple[int, bytes]:
    # Gunicorn's sync workers close the connection after each response (no keep-alive),
    # so each request opens a new connection, as a browser's would here.
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", request.path, headers=request.headers())
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def single_user(request: Request, port: int, *, requests: int, warmup: int) -> dict[str, Any]:
    status, body = get(request, port)
    if status != 200:
        return {"error": f"status {status}"}
    for _ in range(warmup):
        get(request, port)
    samples = []
    for _ in range(requests):
        started = time.perf_counter_ns()
        status, _ = get(request, port)
        samples.append((time.perf_counter_ns() - started) / 1e6)
        if status != 200:
            return {"error": f"status {status} during the run"}
    return {"latency_ms": percentiles(samples), "bytes": len(body)}


def ensure_wrk() -> tuple[str | None, str]:
    """wrk's path and version; installs Debian's wrk when root and it is missing."""
    found = shutil.which("wrk")
    note = ""
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        try:
            subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env, capture_output=True
            )
        except (subprocess.CalledProcessError, OSError) as exc:
            note = f"apt-get install wrk failed: {exc}"
        found = shutil.which("wrk")
    elif found is None:
        note = "wrk is not installed and this user cannot install it (not root or no apt-get)"
    if found is None:
        return None, note
    version = subprocess.run([found, "-v"], capture_output=True, text=True, check=False)
    first = (version.stdout or version.stderr).strip().splitlines()
    # "wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer" -> up to the "[".
    return found, first[0].split(" [", 1)[0] if first else "wrk"


def wrk_load(
    wrk: str, request: Request, port: int, *, connections: int, threads: int, seconds: int
) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        command = [
            wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
            "-s", script.name,
        ]  # fmt: skip
        for name, value in request.headers().items():
            command += ["-H", f"{name}: {value}"]
        command.append(f"http://{HOST}:{port}{request.path}")
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    finally:
        Path(script.name).unlink(missing_ok=True)
    return parse_wrk(done.stdout, done.stderr)


def parse_wrk(stdout: str, stderr: str = "") -> dict[str, Any]:
    for line in stdout.splitlines():
        if line.startswith("KINDRED_WRK "):
            raw = json.loads(line.removeprefix("KINDRED_WRK "))
            seconds = raw["duration_us"] / 1e6
            errors = sum(
                raw[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")
            )
            return {
                "requests": raw["requests"],
                "seconds": round(seconds, 2),
                "requests_per_s": round(raw["requests"] / seconds, 1) if seconds else 0.0,
                "latency_ms": {
                    "p50": round(raw["p50_us"] / 1000, 2),
                    "p95": round(raw["p95_us"] / 1000, 2),
                    "p99": round(raw["p99_us"] / 1000, 2),
                    "mean": round(raw["mean_us"] / 1000, 2),
                    "max": round(raw["max_us"] / 1000, 2),
                },
                "socket_errors": errors,
                "non_2xx_3xx": raw["status_errors"],
            }
    return {"error": f"wrk gave no summary: {(stderr or stdout).strip()[:500]}"}


def python_load(request: Request, port: int, *, connections: int, seconds: int) -> dict[str, Any]:
    """Fallback load generator: one thread per connection, each sending requests back
    to back. It competes with the server for CPU far more than wrk does, so its figures
    are lower bounds; the results name it."""
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    samples: list[float] = []
    errors = [0, 0]  # socket errors, non-2xx

    def worker() -> None:
        local: list[float] = []
        socket_errors = bad = 0
        while time.monotonic() < deadline:
            started = time.perf_counter_ns()
            try:
                status, _ = get(request, port)
            except OSError:
                socket_errors += 1
                continue
            local.append((time.perf_counter_ns() - started) / 1e6)
            if not 200 <= status < 400:
                bad += 1
        with lock:
            samples.extend(local)
            errors[0] += socket_errors
            errors[1] += bad

    started = time.monotonic()
    workers = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.monotonic() - started
    return {
        "requests": len(samples),
        "seconds": round(elapsed, 2),
        "requests_per_s": round(len(samples) / elapsed, 1),
        "latency_ms": percentiles(samples),
        "socket_errors": errors[0],
        "non_2xx_3xx": errors[1],
    }


def peak_rss_mb(master_pid: int) -> dict[str, float]:
    """Peak resident memory (VmHWM) of each gunicorn worker, from /proc (Linux)."""
    peaks: dict[str, float] = {}
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    try:
        pids = children.read_text().split()
    except OSError:
        return peaks
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks[pid] = round(int(line.split()[1]) / 1024, 1)
    return peaks
