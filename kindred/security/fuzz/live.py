"""A live Kindred for the fuzz CLI: a throwaway PostgreSQL database on the shared server
(``kindred_fuzz_<pid>``, created, migrated and dropped here) and gunicorn on a free
loopback port (kindred.core.liveserver). Nothing here listens on or talks to anything
but 127.0.0.1.

The processes started here are ended here, by their own process ids.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import TracebackType

from kindred.core.liveserver import LiveServer, ServerDidNotStart
from kindred.security.fuzz.recorder import READS_FILE_ENV

ROOT = Path(__file__).resolve().parents[3]
LOOPBACK = "127.0.0.1"
LIVE_SETTINGS = "kindred.security.fuzz.live_settings"
CANARY_SETTINGS = "kindred.security.fuzz.canary_settings"


class CannotRun(RuntimeError):
    """The environment does not allow the run (exit code 2)."""


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
    """gunicorn serving Kindred on 127.0.0.1:<free port> with the given environment
    (kindred.core.liveserver); a failed start is CannotRun."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 2) -> None:
        self.server = LiveServer(
            env, workers=workers, log=log, options=("--timeout", "60"), stop_seconds=30
        )
        self.port = self.server.port

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def __enter__(self) -> Gunicorn:
        try:
            self.server.start()
        except ServerDidNotStart as exc:
            raise CannotRun(str(exc)[-3000:]) from exc
        return self

    def tail(self) -> str:
        return self.server.log_tail(3000)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.server.stop()  # the arbiter's process group: its workers too
