"""The benchmark refuses to time on a busy machine (load average above the number of
cores) unless told to with --allow-busy, which the results then record. Nothing here
times anything: the load average is the operating system's answer, replaced."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kindred.bench import run

#: A PostgreSQL address nothing listens on: a run that gets past the check stops there.
NOWHERE = "postgres://postgres@127.0.0.1:9/kindred_bench"


def _load(value: float) -> tuple[float, float, float]:
    return (value, value, value)


def test_a_quiet_machine_is_timed_without_a_word():
    verdict = run.busy_verdict(0.2, 2, allow_busy=False)
    assert verdict == run.BusyVerdict(refuse=False, allowed_busy=False, message="")


def test_a_machine_at_exactly_its_cores_is_timed_with_a_note():
    verdict = run.busy_verdict(2.0, 2, allow_busy=False)
    assert not verdict.refuse
    assert not verdict.allowed_busy
    assert "fairly busy" in verdict.message


def test_above_the_number_of_cores_the_benchmark_refuses():
    verdict = run.busy_verdict(2.01, 2, allow_busy=False)
    assert verdict.refuse
    assert "refusing to time" in verdict.message
    assert "--allow-busy" in verdict.message


def test_allow_busy_times_anyway_and_says_so():
    verdict = run.busy_verdict(7.5, 2, allow_busy=True)
    assert not verdict.refuse
    assert verdict.allowed_busy
    assert "--allow-busy" in verdict.message


def test_an_unknown_load_average_does_not_block():
    assert not run.busy_verdict(None, 2, allow_busy=False).refuse


def test_main_exits_2_before_touching_anything(monkeypatch, tmp_path, capsys):
    cores = os.cpu_count() or 1
    monkeypatch.setattr(os, "getloadavg", lambda: _load(cores + 1.5))
    out = tmp_path / "results"
    code = run.main(["--database-url", NOWHERE, "--out-dir", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "refusing to time" in err
    assert "PostgreSQL is not reachable" not in err  # it stopped before connecting
    assert not out.exists()


def test_main_with_allow_busy_goes_on(monkeypatch, tmp_path, capsys):
    cores = os.cpu_count() or 1
    monkeypatch.setattr(os, "getloadavg", lambda: _load(cores + 1.5))
    code = run.main(["--database-url", NOWHERE, "--out-dir", str(tmp_path / "r"), "--allow-busy"])
    # It went past the check to the next step, which fails here on purpose.
    assert code == 2
    err = capsys.readouterr().err
    assert "timing anyway because of --allow-busy" in err
    assert "PostgreSQL is not reachable" in err
    assert "refusing to time" not in err


def test_the_summary_names_an_allowed_busy_run():
    results = {
        "started_at": "2026-11-26T08:00:00+00:00",
        "git_commit": "abc",
        "setup": {
            "database": "PostgreSQL 16",
            "gunicorn_workers": 4,
            "cpu_count": 2,
            "load_generator": "wrk",
            "connections": 16,
            "duration_seconds": 10,
            "single_user_requests": 200,
            "load_average_1min_before": 3.1,
            "allowed_busy": True,
        },
        "datasets": [],
        "targets": {},
    }
    text = run.summary(results)
    assert "--allow-busy" in text


@pytest.mark.parametrize("broken_cores", [0, -1])
def test_nonsense_core_counts_count_as_one(broken_cores):
    assert run.busy_verdict(1.5, broken_cores, allow_busy=False).refuse


def test_a_checker_that_only_warns_is_caught(monkeypatch, tmp_path, capsys):
    """The deliberately broken variant: a gate that never refuses (the old behaviour)
    lets main reach the database step, which the refusal test above would notice."""
    cores = os.cpu_count() or 1
    monkeypatch.setattr(os, "getloadavg", lambda: _load(cores + 1.5))
    monkeypatch.setattr(
        run,
        "busy_verdict",
        lambda load, n, allow_busy: run.BusyVerdict(False, False, "busy (warning only)"),
    )
    run.main(["--database-url", NOWHERE, "--out-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert "refusing to time" not in err
    assert "PostgreSQL is not reachable" in err  # what the real test asserts is absent
    assert Path(tmp_path / "r").exists() is False
