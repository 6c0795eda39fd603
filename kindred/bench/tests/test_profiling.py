"""The profile tool: every function's own time lands in exactly one bucket, and the
buckets add up to what the profiler measured."""

from __future__ import annotations

import json

import pytest

from kindred.bench import inprocess, profiling


@pytest.mark.parametrize(
    ("filename", "function", "expected"),
    [
        ("/v/lib/python3.13/site-packages/psycopg/cursor.py", "execute", "database"),
        ("~", "<method 'recv' of '_socket.socket' objects>", "database"),
        ("~", "<built-in method psycopg_binary._psycopg.wait_c>", "database"),
        ("/v/site-packages/django/db/models/sql/compiler.py", "as_sql", "orm"),
        ("/v/site-packages/django/template/base.py", "render", "templates"),
        ("/v/site-packages/django/templatetags/i18n.py", "render", "templates"),
        ("/work/main/kindred/web/pages.py", "signed_in_page", "kindred"),
        ("/v/site-packages/django/middleware/csrf.py", "process_view", "django"),
        ("/v/site-packages/allauth/account/adapter.py", "is_open", "django"),
        ("/v/site-packages/rest_framework/views.py", "dispatch", "django"),
        ("/v/site-packages/django_otp/middleware.py", "__call__", "django"),
        ("/usr/lib/python3.13/re/__init__.py", "sub", "python"),
        ("~", "<built-in method builtins.len>", "python"),
        ("~", "<method 'execute' of 'sqlite3.Cursor' objects>", "database"),
    ],
)
def test_each_function_goes_to_one_bucket(filename, function, expected):
    assert profiling.bucket(filename, function) == expected


def test_buckets_add_up_to_the_profiled_time(cast, tmp_path):
    http = inprocess.signed_in_client(cast.member)
    result = profiling.profile_target(http, "/home/member/", requests=3, warmup=1, top=5)
    assert result["queries"] > 0
    per_bucket = result["ms_per_request"]
    assert set(per_bucket) == set(profiling.BUCKETS)
    assert sum(per_bucket.values()) == pytest.approx(result["profiled_ms_per_request"], abs=0.1)
    assert sum(result["share"].values()) == pytest.approx(1.0, abs=0.01)
    # A page that reads the database and renders a template spends time in both.
    assert per_bucket["orm"] > 0
    assert per_bucket["templates"] > 0
    assert per_bucket["database"] > 0
    assert len(result["top_functions"]) == 5
    times = [row["ms_per_request"] for row in result["top_functions"]]
    assert times == sorted(times, reverse=True)


def test_a_page_that_redirects_is_reported_not_profiled(cast):
    http = inprocess.signed_in_client(cast.member)
    result = profiling.profile_target(http, "/home/admin/", requests=2, warmup=0, top=3)
    assert result == {"path": "/home/admin/", "error": "status 302"}


def test_the_command_refuses_an_unknown_target(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        profiling.main(["--out", str(tmp_path / "p.json"), "--targets", "no_such_page"])
    assert exit_info.value.code == 2
    assert "unknown targets: no_such_page" in capsys.readouterr().err
    assert not (tmp_path / "p.json").exists()


@pytest.mark.django_db(transaction=True)
def test_the_command_writes_one_json_per_run(cast, tmp_path):
    out = tmp_path / "profile.json"
    assert profiling.main(["--out", str(out), "--targets", "home_member", "--requests", "2"]) == 0
    payload = json.loads(out.read_text())
    assert payload["requests_per_target"] == 2
    assert set(payload["targets"]) == {"home_member"}
    assert payload["rows"]["clients"] >= 1
