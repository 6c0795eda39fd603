"""A throwaway gunicorn serving Kindred on a free loopback port: the one way the fault
runs (security/faults), the fuzz CLI (security/fuzz) and the benchmark's HTTP phase
(bench/load.py) start a real server.

``LiveServer(env, workers=..., log=..., options=...)`` starts ``python -m gunicorn
kindred.wsgi:application`` bound to ``127.0.0.1:<free port>`` with exactly the given
environment (settings module, database, ...), in a process group of its own; ``start``
returns once ``/healthz`` answers 200 (asked as the production reverse proxy would:
``Host: 127.0.0.1``, ``X-Forwarded-Proto: https``); ``stop`` sends SIGTERM to that
process group (the arbiter and its workers), waits, and SIGKILLs the group if it is
still there. The group is the one this module created (its id is the arbiter's pid):
nothing else is ever signalled. Also a context manager.

Nothing here listens on or talks to anything but 127.0.0.1.
"""

# ruff: noqa: S603 - fixed argument lists: our own interpreter running gunicorn on loopback

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]
HEALTH_PATH = "/healthz"


class ServerDidNotStart(RuntimeError):
    """gunicorn exited during start-up or did not answer /healthz in time (the message
    ends with the tail of its log)."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def healthz_status(port: int, *, timeout: float = 5.0) -> int:
    """The status of ``GET /healthz`` on 127.0.0.1:``port``; 0 when nothing answers."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(
            "GET",
            HEALTH_PATH,
            headers={"Host": HOST, "X-Forwarded-Proto": "https", "User-Agent": "kindred-live"},
        )
        response = conn.getresponse()
        response.read()
        return int(response.status)
    except OSError:
        return 0
    finally:
        conn.close()


class LiveServer:
    """gunicorn serving Kindred on 127.0.0.1:<free port> (see the module docstring).

    ``log``: a file the server's output is appended to (None: an anonymous temporary
    file, gone after ``stop``); ``options``: further gunicorn options (``--backlog``,
    ``--log-level``, ``--graceful-timeout``, ...); ``python``: the interpreter; ``port``:
    a port the caller found free (default: one found here).
    """

    def __init__(
        self,
        env: dict[str, str],
        *,
        workers: int = 2,
        log: Path | None = None,
        options: Sequence[str] = (),
        python: str = sys.executable,
        cwd: Path = ROOT,
        start_seconds: float = 90.0,
        stop_seconds: float = 30.0,
        port: int | None = None,
    ) -> None:
        self.env = dict(env)
        self.workers = workers
        self.log_path = log
        self.options = tuple(options)
        self.python = python
        self.cwd = cwd
        self.start_seconds = start_seconds
        self.stop_seconds = stop_seconds
        self.port = free_port() if port is None else port
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        """The arbiter's process id (also the id of the process group)."""
        if self.process is None:
            raise RuntimeError("the server is not started")
        return self.process.pid

    def command(self) -> list[str]:
        return [
            self.python, "-m", "gunicorn", "kindred.wsgi:application",
            "--bind", f"{HOST}:{self.port}", "--workers", str(self.workers),
            *self.options,
        ]  # fmt: skip

    def start(self) -> LiveServer:
        if self.process is not None:
            raise RuntimeError("the server is already started")
        # Kept open while the server runs (its stdout and stderr); closed by stop().
        self._log = (
            self.log_path.open("ab") if self.log_path else tempfile.TemporaryFile()  # noqa: SIM115
        )
        self.process = subprocess.Popen(
            self.command(),
            env=self.env,
            cwd=self.cwd,
            stdout=self._log,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a process group of its own: stop() ends all of it
        )
        try:
            self._wait_until_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + self.start_seconds
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise ServerDidNotStart(
                    f"gunicorn exited during start-up (code {self.process.returncode}):\n"
                    + self.log_tail()
                )
            if healthz_status(self.port) == 200:
                return
            if time.monotonic() > deadline:
                raise ServerDidNotStart(
                    f"gunicorn did not answer {HEALTH_PATH} within {self.start_seconds:.0f} s:\n"
                    + self.log_tail()
                )
            time.sleep(0.2)

    def log_tail(self, chars: int = 4000) -> str:
        if self._log is None and self.log_path is None:
            return ""
        try:
            if self.log_path is not None:
                return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
            if self._log is None:
                return ""
            self._log.flush()
            self._log.seek(0)
            return self._log.read().decode(errors="replace")[-chars:]
        except OSError:
            return ""

    def _signal_group(self, signum: int) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(self.process.pid, signum)  # the group this object created

    def stop(self) -> None:
        """SIGTERM to the server's process group, then SIGKILL if it outlives
        ``stop_seconds``. Safe to call twice, and after a failed start."""
        process = self.process
        if process is not None and process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                process.wait(timeout=self.stop_seconds)
            except subprocess.TimeoutExpired:
                # The arbiter is not reaped yet, so the group id is still ours.
                self._signal_group(signal.SIGKILL)
                process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
