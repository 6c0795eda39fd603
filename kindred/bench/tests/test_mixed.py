"""The mixed workload's generator (kindred/bench/mixed.py) against tiny real servers on
loopback: per-route figures add up to the totals, an error is charged to its route only,
a redirect to sign-in is an error, each route carries its own person's cookie, seeded
mixes repeat, weights hold, every run ends. Nothing here asserts a speed: runs are
bounded by request counts, and durations only stop a run."""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kindred.bench import load, mixed, run
from kindred.bench.load import Request
from kindred.bench.mixed import Route
from kindred.bench.targets import HELLO, TARGETS
from kindred.core import liveserver

RELEASE = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    """/ok/<x>/ 200; /drop/ 200 then a silent close; /boom/ 500; /expired/ a redirect
    to sign-in; /moved/ a redirect elsewhere; /whoami/<name>/ 200 only with the cookie
    ``sessionid=<name>`` (and the proxy's header), else the sign-in redirect; /hang/
    never answers in time."""

    protocol_version = "HTTP/1.1"  # keep-alive, unless the server says otherwise

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, a kept-alive
        # connection waits for the client's delayed acknowledgement between them.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        path = self.path
        if path.startswith("/ok/"):
            self._answer(200)
        elif path == "/drop/":
            # Answers as if keeping the connection, then closes it without a word.
            self._answer(200)
            self.close_connection = True
        elif path == "/boom/":
            self._answer(500)
        elif path == "/expired/":
            self._answer(302, location=f"/accounts/login/?next={path}")
        elif path == "/moved/":
            self._answer(302, location="/home/")
        elif path.startswith("/whoami/"):
            name = path.split("/")[2]
            signed_in = (
                self.headers.get("Cookie") == f"sessionid={name}"
                and self.headers.get("X-Forwarded-Proto") == "https"
            )
            if signed_in:
                self._answer(200)
            else:
                self._answer(302, location=f"https://127.0.0.1/accounts/login/?next={path}")
        elif path == "/hang/":
            RELEASE.wait(30)
            self.close_connection = True
        else:
            self._answer(404)

    def _answer(self, status: int, *, location: str = "") -> None:
        body = b"ok"
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", str(len(body)))
        if self.server.close_after_each:  # type: ignore[attr-defined]
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass


@contextmanager
def tiny_server(*, close_after_each: bool = False) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.close_after_each = close_after_each  # type: ignore[attr-defined]
    RELEASE.clear()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        RELEASE.set()
        server.shutdown()
        server.server_close()
        thread.join(10)


def _route(name: str, path: str, weight: float = 1, cookie: str = "") -> Route:
    return Route(name, Request(path, cookie), weight, actor=name)


MIX = [
    _route("ok_a", "/ok/a/", 3),
    _route("ok_b", "/ok/b/", 2),
    _route("boom", "/boom/", 1),
    _route("expired", "/expired/", 1),
    _route("moved", "/moved/", 1),
]


def test_the_per_route_split_adds_up_and_errors_stay_with_their_route():
    with tiny_server() as port:
        result = mixed.mixed_load(
            MIX, port, connections=3, seconds=0, seed=7, max_requests_per_connection=40
        )
    routes, total = result["routes"], result["total"]
    assert set(routes) == {r.name for r in MIX}
    assert total["requests"] == 120 == sum(e["requests"] for e in routes.values())
    for key in ("errors", "non_2xx_3xx", "sign_in_redirects", "socket_errors"):
        assert total[key] == sum(e[key] for e in routes.values()), key
    assert total["latency_ms"]["n"] == 120
    for name, entry in routes.items():
        assert entry["requests"] > 0, name
        assert entry["latency_ms"]["n"] == entry["requests"] == sum(entry["statuses"].values())
    # A 500 is an error of its route only.
    assert routes["boom"]["non_2xx_3xx"] == routes["boom"]["errors"] == routes["boom"]["requests"]
    assert routes["boom"]["statuses"] == {"500": routes["boom"]["requests"]}
    # A redirect to sign-in is an error (the person was not served), of its route only.
    expired = routes["expired"]
    assert expired["sign_in_redirects"] == expired["errors"] == expired["requests"]
    assert expired["non_2xx_3xx"] == 0
    # Any other redirect is an answer, and the good routes have no errors.
    assert routes["moved"]["errors"] == 0
    assert routes["moved"]["statuses"] == {"302": routes["moved"]["requests"]}
    for name in ("ok_a", "ok_b"):
        assert routes[name]["errors"] == 0
        assert routes[name]["statuses"] == {"200": routes[name]["requests"]}
    assert total["errors"] == routes["boom"]["requests"] + expired["requests"]
    assert result["meets_targets"] == {"errors_0": False}
    assert total["slowest_route_by_p99"] in routes
    assert result["generator"] == mixed.GENERATOR


def test_a_clean_mix_meets_the_target():
    with tiny_server() as port:
        result = mixed.mixed_load(
            MIX[:2], port, connections=2, seconds=0, seed=1, max_requests_per_connection=10
        )
    assert result["total"]["errors"] == 0
    assert result["meets_targets"] == {"errors_0": True}


def test_each_route_carries_its_own_persons_cookie():
    routes = [
        _route("alice_page", "/whoami/alice/", cookie="sessionid=alice"),
        _route("bob_page", "/whoami/bob/", cookie="sessionid=bob"),
        # Bob's cookie on Alice's page: the server sends him to sign in.
        _route("alice_page_as_bob", "/whoami/alice/?as=bob", cookie="sessionid=bob"),
    ]
    with tiny_server() as port:
        result = mixed.mixed_load(
            routes, port, connections=2, seconds=0, seed=3, max_requests_per_connection=30
        )
    figures = result["routes"]
    assert figures["alice_page"]["errors"] == 0
    assert figures["bob_page"]["errors"] == 0
    wrong = figures["alice_page_as_bob"]
    assert wrong["requests"] > 0
    assert wrong["sign_in_redirects"] == wrong["errors"] == wrong["requests"]
    assert result["total"]["errors"] == wrong["requests"]


def test_seeded_mixes_are_reproducible():
    first = mixed.plan(MIX, seed=2026, connection=0, count=200)
    assert first == mixed.plan(MIX, seed=2026, connection=0, count=200)
    assert first != mixed.plan(MIX, seed=2026, connection=1, count=200)
    assert first != mixed.plan(MIX, seed=2027, connection=0, count=200)
    with tiny_server() as port:
        runs = [
            mixed.mixed_load(
                MIX, port, connections=3, seconds=0, seed=seed, max_requests_per_connection=50
            )
            for seed in (2026, 2026, 99)
        ]
    counts = [{name: e["requests"] for name, e in r["routes"].items()} for r in runs]
    assert counts[0] == counts[1]
    assert counts[0] != counts[2]
    # And a run sends exactly what the plan says.
    planned = Counter(
        name for c in range(3) for name in mixed.plan(MIX, seed=2026, connection=c, count=50)
    )
    assert counts[0] == {r.name: planned[r.name] for r in MIX}


def test_weights_are_respected_within_tolerance():
    routes = [_route("often", "/ok/1/", 8), _route("sometimes", "/ok/2/", 3)]
    routes.append(_route("rarely", "/ok/3/", 1))
    expected = mixed.expected_shares(routes)
    assert expected == pytest.approx({"often": 8 / 12, "sometimes": 3 / 12, "rarely": 1 / 12})
    picks = Counter(mixed.plan(routes, seed=5, connection=0, count=20_000))
    for name, share in expected.items():
        assert picks[name] / 20_000 == pytest.approx(share, abs=0.015)
    with tiny_server() as port:
        result = mixed.mixed_load(
            routes, port, connections=4, seconds=0, seed=5, max_requests_per_connection=300
        )
    for name, share in expected.items():
        assert result["routes"][name]["share"] == pytest.approx(share, abs=0.04), name
        assert result["routes"][name]["expected_share"] == round(share, 4)


def test_a_run_ends_even_when_the_server_does_not_answer():
    # A duration stops the run; a request that gets no answer times out and counts as a
    # socket error. The thread's join bound only keeps a broken generator from hanging
    # the suite: it is not a speed assertion.
    routes = [_route("hang", "/hang/"), _route("ok", "/ok/x/")]
    out: dict[str, Any] = {}
    with tiny_server() as port:
        worker = threading.Thread(
            target=lambda: out.update(
                mixed.mixed_load(routes, port, connections=2, seconds=0.5, seed=1, timeout=0.2)
            )
        )
        worker.start()
        worker.join(60)
        assert not worker.is_alive()
    hang = out["routes"]["hang"]
    assert hang["requests"] > 0
    assert hang["socket_errors"] == hang["errors"] == hang["requests"]
    assert hang["latency_ms"] == {}
    assert out["routes"]["ok"]["errors"] == 0
    assert out["total"]["requests"] == hang["requests"] + out["routes"]["ok"]["requests"]
    assert out["meets_targets"] == {"errors_0": False}


def test_a_request_count_stops_each_connection_exactly():
    with tiny_server() as port:
        result = mixed.mixed_load(
            MIX[:1], port, connections=5, seconds=0, seed=1, max_requests_per_connection=7
        )
    assert result["total"]["requests"] == 35


def test_connections_are_kept_open_when_the_server_allows_it():
    with tiny_server() as port:
        kept = mixed.mixed_load(
            MIX[:2], port, connections=2, seconds=0, seed=1, max_requests_per_connection=20
        )
    with tiny_server(close_after_each=True) as port:
        closed = mixed.mixed_load(
            MIX[:2], port, connections=2, seconds=0, seed=1, max_requests_per_connection=20
        )
    assert kept["keepalive"]["connections_opened"] == 2
    assert kept["keepalive"]["requests_on_kept_connections"] == 38
    assert kept["keepalive"]["server_closed_after_every_response"] is False
    assert closed["keepalive"]["connections_opened"] == 40
    assert closed["keepalive"]["server_closed_after_every_response"] is True
    assert closed["total"]["errors"] == 0


def test_a_kept_connection_the_server_dropped_is_retried_once_not_an_error():
    with tiny_server() as port:
        result = mixed.mixed_load(
            [_route("drop", "/drop/")],
            port,
            connections=2,
            seconds=0,
            seed=1,
            max_requests_per_connection=6,
        )
    assert result["total"]["requests"] == 12
    assert result["total"]["errors"] == 0
    # Each request after the first found its kept connection closed and opened another.
    assert result["keepalive"]["connections_opened"] == 12
    assert result["keepalive"]["requests_on_kept_connections"] == 10


def _gunicorn_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KINDRED_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "kindred.settings",
            "KINDRED_TESTING": "1",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
            "PYTHONPATH": str(liveserver.ROOT),
        }
    )
    env.pop("REDIS_URL", None)
    return env


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_gunicorn_sync_workers_close_every_connection(tmp_path):
    """What the docs say about production: the sync workers the benchmark serves with
    close the connection after each response, so the mix opens one per request."""
    routes = [_route("healthz", liveserver.HEALTH_PATH)]
    with load.gunicorn(_gunicorn_env(tmp_path), workers=1, python=sys.executable) as (port, _):
        result = mixed.mixed_load(
            routes, port, connections=2, seconds=0, seed=1, max_requests_per_connection=5
        )
    assert result["total"]["errors"] == 0
    assert result["total"]["requests"] == 10
    assert result["keepalive"]["connections_opened"] == 10
    assert result["keepalive"]["server_closed_after_every_response"] is True


@pytest.mark.parametrize(
    ("status", "location", "expected"),
    [
        (302, "/accounts/login/?next=/home/", True),
        (302, "https://127.0.0.1/accounts/login/?next=/home/", True),
        (302, "/accounts/2fa/totp/activate", True),
        (302, "/home/member/", False),
        (200, "/accounts/login/", False),
        (302, None, False),
    ],
)
def test_what_counts_as_a_redirect_to_sign_in(status, location, expected):
    assert mixed.is_sign_in_redirect(status, location) is expected


def test_a_mix_needs_routes_positive_weights_and_unique_names():
    with pytest.raises(ValueError, match="at least one route"):
        mixed.Picker([], seed=1, connection=0)
    with pytest.raises(ValueError, match="positive weight"):
        mixed.Picker([_route("zero", "/ok/", 0)], seed=1, connection=0)
    with pytest.raises(ValueError, match="unique"):
        mixed.mixed_load([MIX[0], MIX[0]], 9, connections=1, seconds=1, seed=1)
    with pytest.raises(ValueError, match="at least one connection"):
        mixed.mixed_load(MIX, 9, connections=0, seconds=1, seed=1)


def test_the_benchmarks_mix_is_every_route_but_hello_with_its_persons_cookie():
    available = [(t, t.path) for t in TARGETS]
    cookies = {"member": "sessionid=m", "coordinator": "sessionid=c", "admin": "sessionid=a"}
    routes = {r.name: r for r in mixed.routes_for(available, cookies)}
    assert HELLO.name not in routes
    assert set(routes) == {t.name for t in TARGETS} - {HELLO.name}
    assert routes["home_member"].request.cookie == "sessionid=m"
    assert routes["home_admin"].request.cookie == "sessionid=a"
    assert routes["home_member"].weight == mixed.WEIGHTS["home_member"]
    assert routes["audit_log"].weight == mixed.DEFAULT_WEIGHT
    assert routes["home_member"].weight > routes["home_admin"].weight
    assert set(mixed.WEIGHTS) <= {t.name for t in TARGETS}  # no weight for a lost name


def test_the_mixed_phase_can_be_skipped_and_the_summary_shows_it():
    options = run.parse_args(["--mixed-seconds", "0"])
    assert run.mixed_phase([], {}, 9, options) == {"skipped": "--mixed-seconds 0"}
    assert run.parse_args([]).mixed_seconds == 60
    assert run.parse_args([]).mixed_connections is None


def test_the_summary_has_the_mixed_figures():
    with tiny_server() as port:
        result = mixed.mixed_load(
            MIX, port, connections=2, seconds=0, seed=7, max_requests_per_connection=20
        )
    results = {
        "started_at": "now",
        "git_commit": "abc",
        "setup": {
            "database": "PostgreSQL 15",
            "gunicorn_workers": 4,
            "cpu_count": 2,
            "load_generator": "wrk 4.1.0",
            "connections": 16,
            "duration_seconds": 10,
            "single_user_requests": 200,
        },
        "datasets": [],
        "targets": {},
        "mixed_load": result,
    }
    text = run.summary(results)
    assert "mixed workload: 5 routes, 2 connections" in text
    assert f"errors {result['total']['errors']} " in text
    assert "NO" in text.split("mixed workload:", 1)[1].splitlines()[0]
    assert any(line.strip().startswith("boom ") for line in text.splitlines())
    skipped = run.summary({**results, "mixed_load": {"skipped": "--mixed-seconds 0"}})
    assert "mixed workload: --mixed-seconds 0" in skipped
