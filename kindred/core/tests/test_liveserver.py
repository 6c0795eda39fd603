"""The one throwaway gunicorn (kindred/core/liveserver.py): it serves Kindred on a free
loopback port until /healthz answers, ends its whole process group (arbiter and workers)
on stop, and a server that cannot start is reported with its log, leaving nothing
running. Real gunicorn processes, no database needed (/healthz reads none)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kindred.core import liveserver
from kindred.core.liveserver import HOST, LiveServer, ServerDidNotStart


def _env(tmp_path: Path, settings_module: str = "kindred.settings") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KINDRED_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": settings_module,
            "KINDRED_TESTING": "1",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
            "PYTHONPATH": str(liveserver.ROOT),
        }
    )
    env.pop("REDIS_URL", None)
    return env


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes whose process group is ``pgid``, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after the ")".
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            found.append(int(entry.name))
    return found


def test_the_command_binds_loopback_on_its_free_port_with_the_callers_options(tmp_path):
    server = LiveServer(
        _env(tmp_path), workers=3, options=("--backlog", "2048"), python="/usr/bin/python3"
    )
    command = server.command()
    assert command[:4] == ["/usr/bin/python3", "-m", "gunicorn", "kindred.wsgi:application"]
    assert command[command.index("--bind") + 1] == f"{HOST}:{server.port}"
    assert command[command.index("--workers") + 1] == "3"
    assert command[-2:] == ["--backlog", "2048"]
    assert server.base_url == f"http://127.0.0.1:{server.port}"
    assert server.process is None  # nothing started by building it
    server.stop()  # and stopping what never started is harmless


def test_free_ports_are_on_loopback_and_bindable():
    import socket

    port = liveserver.free_port()
    with socket.socket() as sock:
        sock.bind((HOST, port))
    assert liveserver.healthz_status(port) == 0  # nothing listens there


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_serves_healthz_then_stops_the_whole_process_group(tmp_path):
    log = tmp_path / "server.log"
    server = LiveServer(_env(tmp_path), workers=2, log=log, options=("--log-level", "info"))
    with server:
        assert liveserver.healthz_status(server.port) == 200
        members = _group_members(server.pid)
        assert server.pid in members
        assert len(members) >= 3  # the arbiter and its two workers, in their own group
        assert os.getpgid(server.pid) == server.pid != os.getpgid(0)
    assert server.process is not None
    assert server.process.returncode is not None
    assert _group_members(server.pid) == []
    assert liveserver.healthz_status(server.port) == 0
    assert "Booting worker" in log.read_text()  # the log was kept where it was asked
    server.stop()  # twice is harmless


def test_a_server_that_cannot_start_is_reported_with_its_log(tmp_path):
    broken = _env(tmp_path, settings_module="kindred.no_such_settings_module")
    server = LiveServer(broken, workers=1, start_seconds=60)
    with pytest.raises(ServerDidNotStart, match="no_such_settings_module"):
        server.start()
    assert server.process is not None
    assert server.process.returncode is not None
    assert _group_members(server.pid) == []


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.parametrize("caller", ["faults", "fuzz", "bench"])
def test_the_three_callers_start_and_stop_their_server_through_it(tmp_path, caller):
    """security/faults (infra.Gunicorn), security/fuzz (live.Gunicorn) and the
    benchmark's HTTP phase (load.gunicorn) each get a serving gunicorn, with their own
    options, and leave no process behind."""
    import sys

    from kindred.bench import load
    from kindred.security.faults import infra
    from kindred.security.fuzz import live

    env = _env(tmp_path)
    if caller == "faults":
        web = infra.Gunicorn(env, workers=1, log_dir=tmp_path)
        web.start()
        try:
            port, pid = web.port, web.server.pid
            assert liveserver.healthz_status(port) == 200
            assert web.log_path == tmp_path / f"gunicorn-{port}.log"
            assert "--graceful-timeout" in web.server.command()
        finally:
            web.stop()
    elif caller == "fuzz":
        with live.Gunicorn(env, tmp_path / "server.log", workers=1) as server:
            port, pid = server.port, server.server.pid
            assert server.base_url == f"http://127.0.0.1:{port}"
            assert liveserver.healthz_status(port) == 200
    else:
        with load.gunicorn(env, workers=1, python=sys.executable) as (port, pid):
            assert liveserver.healthz_status(port) == 200
            assert len(_group_members(pid)) >= 2
    assert _group_members(pid) == []
    assert liveserver.healthz_status(port) == 0
