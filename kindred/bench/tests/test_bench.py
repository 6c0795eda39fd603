"""The benchmark harness: the hello view, the in-process measurements, and the pieces
of the orchestrator that need no PostgreSQL (the full run is `make bench`)."""

import importlib
import os
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client as HttpClient
from django.urls import Resolver404, resolve
from django.utils import timezone

from kindred.bench import inprocess, load, run, targets
from kindred.bench.stats import percentiles
from kindred.clients.models import Client


def test_hello_routes_exist_only_with_the_flag(monkeypatch):
    import kindred.bench.urls as bench_urls

    try:
        monkeypatch.delenv("KINDRED_BENCH", raising=False)
        assert importlib.reload(bench_urls).urlpatterns == []
        monkeypatch.setenv("KINDRED_BENCH", "1")
        assert [p.name for p in importlib.reload(bench_urls).urlpatterns] == ["hello"]
    finally:
        monkeypatch.undo()
        importlib.reload(bench_urls)


@pytest.mark.skipif(
    os.environ.get("KINDRED_BENCH") == "1", reason="KINDRED_BENCH=1 mounts the hello view"
)
def test_the_app_does_not_serve_hello_normally():
    with pytest.raises(Resolver404):
        resolve("/bench/hello/")


@pytest.mark.urls("kindred.bench.tests.urls")
def test_hello_goes_through_the_whole_middleware_stack(db):
    response = HttpClient().get("/bench/hello/")
    assert response.status_code == 200
    assert response.json() == {"hello": "world"}
    assert response["Cache-Control"] == "no-store"  # our middleware ran
    assert "X-Request-ID" in response


def test_percentiles_interpolate_between_samples():
    result = percentiles([float(i) for i in range(1, 101)])
    assert result == {"p50": 50.5, "p95": 95.05, "p99": 99.01, "mean": 50.5, "max": 100.0, "n": 100}
    assert percentiles([3.0])["p99"] == 3.0
    assert percentiles([]) == {}


def test_wrk_summary_is_read_from_the_lua_hook():
    line = (
        'KINDRED_WRK {"requests": 4200, "duration_us": 10000000, "bytes": 1, '
        '"connect_errors": 0, "read_errors": 1, "write_errors": 0, "status_errors": 2, '
        '"timeouts": 0, "p50_us": 3500, "p95_us": 9000, "p99_us": 12000, "max_us": 20000, '
        '"mean_us": 4000.5}'
    )
    result = load.parse_wrk(f"Running 10s test\n{line}\n")
    assert result["requests_per_s"] == 420.0
    assert result["latency_ms"]["p95"] == 9.0
    assert result["socket_errors"] == 1
    assert result["non_2xx_3xx"] == 2
    assert "error" in load.parse_wrk("", "unable to connect")


@pytest.mark.parametrize(
    ("given", "expected", "noted"),
    [
        (None, run.DEFAULT_DATABASE_URL, False),
        ("sqlite:///tmp/db.sqlite3", run.DEFAULT_DATABASE_URL, True),
        ("postgres://pg@db:5432/kindred", "postgres://pg@db:5432/kindred_bench", True),
        ("postgres://pg@db:5432/my_bench", "postgres://pg@db:5432/my_bench", False),
    ],
)
def test_the_benchmark_only_drops_a_database_named_for_it(given, expected, noted):
    url, note = run.bench_database_url(given)
    assert url == expected
    assert "bench" in url.rsplit("/", 1)[1]
    assert bool(note) == noted


@pytest.mark.urls("kindred.bench.tests.urls")
def test_unavailable_routes_are_named_not_measured(db):
    assert "no route" in str(inprocess.unavailable_reason("/nowhere/"))
    assert "placeholder" in str(inprocess.unavailable_reason("/still-building/"))
    assert inprocess.unavailable_reason("/bench/hello/") is None


def test_bench_people_are_signed_in_staff_with_two_factor_and_a_member(db):
    from allauth.mfa.models import Authenticator

    people = inprocess.bench_people()
    assert set(people) == {"admin", "coordinator", "billing", "member"}
    for actor in ("admin", "coordinator", "billing"):
        assert Authenticator.objects.filter(user=people[actor]).exists()
    assert people["member"].client.email == people["member"].email
    assert inprocess.bench_people() == people  # a second call reuses them


def test_session_cookies_open_the_pages(db):
    people = inprocess.bench_people()
    cookies = inprocess.session_cookies(people)
    assert cookies["anonymous"] == ""
    name, value = cookies["coordinator"].split("=", 1)
    assert name == settings.SESSION_COOKIE_NAME
    http = HttpClient()
    http.cookies[name] = value
    assert http.get("/home/coordinator/").status_code == 200


def test_session_cookies_outlast_the_staff_idle_time_out(cast):
    # A slow HTTP phase may take a staff cookie up 20 minutes after it was made; the
    # default staff idle time-out (15 minutes) would turn the target into a redirect.
    people = inprocess.bench_people()
    cookies = inprocess.session_cookies(people)
    name, value = cookies["billing"].split("=", 1)
    http = HttpClient(HTTP_X_FORWARDED_PROTO="https")
    http.cookies[name] = value
    with time_machine.travel(timezone.now() + timedelta(minutes=40)):
        response = http.get("/home/", secure=True)
    assert response.status_code in (200, 302)
    assert "/accounts/login" not in response.get("Location", "")
    assert response.wsgi_request.user == people["billing"]


def test_path_values_point_at_real_data(cast):
    values = inprocess.path_values()
    assert Client.objects.filter(pk=int(values["client_id"])).exists()
    assert Client.objects.filter(legal_last_name__iexact=values["search"]).exists()
    assert int(values["page"]) >= 1


@pytest.mark.urls("kindred.bench.tests.urls")
def test_in_process_measurement_counts_queries_and_times_requests(cast):
    people = {"admin": cast.admin, "coordinator": cast.coordinator, "member": cast.member}
    values = {"client_id": str(cast.client.pk), "search": "member", "page": "1"}
    results = inprocess.measure(people=people, values=values, requests=5, warmup=1)
    assert set(results) == {t.name for t in targets.TARGETS}
    assert results["hello"]["queries"] == 0
    for name, result in results.items():
        if "skipped" in result:
            continue
        assert result["status"] == 200, (name, result)
        assert 0 <= result["queries_min"] <= result["queries"] <= run.MAX_QUERIES, name
        assert result["latency_ms"]["n"] == 5
    for name in ("home_admin", "home_coordinator", "home_member"):
        assert "skipped" not in results[name]


def test_a_page_that_does_not_answer_200_is_an_error_not_a_number(cast):
    # The member may not open a staff home page: it redirects.
    http = inprocess.signed_in_client(cast.member)
    result = inprocess.measure_target(http, "/home/admin/", requests=3, warmup=0)
    assert result["error"].startswith("status 302")


def _fake_inprocess(queries: int) -> dict[str, Any]:
    return {
        "targets": {
            t.name: {"path": t.path, "queries": queries, "latency_ms": {"p95": 3.0}}
            for t in targets.TARGETS
        }
        | {"api_me": {"path": "/api/v1/me/", "skipped": "no route for /api/v1/me/ yet"}}
    }


def test_combine_reports_constancy_ratio_and_targets():
    small, large = _fake_inprocess(5), _fake_inprocess(5)
    large["targets"]["client_list"]["queries"] = 6
    http: dict[str, dict[str, Any]] = {
        "hello": {"single_user": {"latency_ms": {"p95": 1.0}}, "load": {"requests_per_s": 1000}},
        "hello_again": {"single_user": {}, "load": {"requests_per_s": 1200}},
        "home_admin": {
            "single_user": {"latency_ms": {"p50": 8.0, "p95": 12.0, "p99": 20.0}},
            "load": {"requests_per_s": 330.0},
        },
        "client_list": {
            "single_user": {"latency_ms": {"p50": 30.0, "p95": 60.0, "p99": 90.0}},
            "load": {"requests_per_s": 44.0},
        },
    }
    combined, hello = run.combine(small, large, http, small_clients=2000, large_clients=20000)
    assert hello == 1100
    assert combined["api_me"] == {
        "title": "API: who am I",
        "skipped": "no route for /api/v1/me/ yet",
    }
    admin = combined["home_admin"]
    assert admin["queries"] == {"2000": 5, "20000": 5}
    assert admin["ratio_to_hello"] == 0.3
    assert admin["meets_targets"] == {
        "queries_at_most_15": True,
        "queries_constant": True,
        "p95_under_50ms": True,
        "at_least_25pct_of_hello": True,
    }
    listing = combined["client_list"]["meets_targets"]
    assert listing["queries_constant"] is False
    assert listing["p95_under_50ms"] is False
    assert listing["at_least_25pct_of_hello"] is False

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
        "datasets": [
            {"clients": 2000, "seed_seconds": 2.0, "migrate_seconds": 3.0},
            {"clients": 20000, "seed_seconds": 16.0, "migrate_seconds": 3.0},
        ],
        "targets": combined,
        "worker_peak_rss_mb": {"1": 90.0},
    }
    text = run.summary(results)
    assert "queries 2k/20k" in text
    assert "skipped api_me: no route" in text
    assert "90.0 MB" in text
