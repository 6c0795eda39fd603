"""A live Kindred for the fuzz CLI: a throwaway PostgreSQL database on the shared server
(``kindred_fuzz_<pid>``, created, migrated and dropped here) and gunicorn on a free
loopback port. Nothing here listens on or talks to anything but 127.0.0.1.

The processes started here are ended here, by their own process ids.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from kindred.security.fuzz.recorder import READS_FILE_ENV

ROOT = Path(__file__).resolve().parents[3]
LOOPBACK = "127.0.0.1"
LIVE_SETTINGS = "kindred.security.fuzz.live_settings"
CANARY_SETTINGS = "kindred.security.fuzz.canary_settings"


class CannotRun(RuntimeError):
    """The environment does not allow the run (exit code 2)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(check: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise CannotRun(f"{what} did not happen within {seconds:.0f} s")


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((LOOPBACK, port)) == 0


class ThrowawayDatabase:
    """CREATE DATABASE kindred_fuzz_<pid> on the shared PostgreSQL; DROP it on exit."""

    def __init__(self, server_url: str = "postgres://postgres@127.0.0.1:5432") -> None:
        self.server_url = server_url.rstrip("/")
        if "@127.0.0.1" not in self.server_url and "@localhost" not in self.server_url:
            raise CannotRun("the fuzz database must be on a loopback PostgreSQL")
        self.name = f"kindred_fuzz_{os.getpid()}"

    @property
    def url(self) -> str:
        return f"{self.server_url}/{self.name}"

    def _admin(self, sql: str) -> None:
        import psycopg

        try:
            with psycopg.connect(f"{self.server_url}/postgres", autocommit=True) as conn:
                conn.execute(sql)  # the name is ours (kindred_fuzz_<digits>), never input
        except psycopg.OperationalError as exc:
            raise CannotRun(f"PostgreSQL is not reachable: {exc}") from exc

    def __enter__(self) -> ThrowawayDatabase:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "{self.name}"')
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def server_env(database_url: str, settings_module: str, reads_file: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KINDRED_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": settings_module,
            "KINDRED_TESTING": "1",  # test keys and loopback hosts; never a deployment
            "DATABASE_URL": database_url,
            "CONN_MAX_AGE": "0",
            READS_FILE_ENV: str(reads_file),
            "PYTHONPATH": str(ROOT),
        }
    )
    env.pop("REDIS_URL", None)
    return env


def migrate(env: dict[str, str], timeout: float = 900) -> None:
    done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py, fixed arguments
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise CannotRun(f"migrate failed: {done.stderr[-2000:]}")


class Gunicorn:
    """gunicorn serving Kindred on 127.0.0.1:<free port> with the given environment."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 2) -> None:
        self.env = env
        self.log_path = log
        self.workers = workers
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def __enter__(self) -> Gunicorn:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments, loopback bind
            [
                sys.executable,
                "-m",
                "gunicorn",
                "kindred.wsgi:application",
                "--bind",
                f"{LOOPBACK}:{self.port}",
                "--workers",
                str(self.workers),
                "--timeout",
                "60",
            ],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=log,
        )
        log.close()

        def serving() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise CannotRun("gunicorn exited during start-up: " + self.tail())
            return port_open(self.port)

        wait_for(serving, seconds=90, what="gunicorn start")
        return self

    def tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # this process (the arbiter) ends its own workers
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
