"""Throwaway services for the fault runs, all on loopback and all owned by the run.

- ``PgCluster``: a PostgreSQL 15 cluster of its own (initdb into a temporary directory,
  run as the ``postgres`` user, fsync on) that can be crashed (``pg_ctl stop -m
  immediate``: no checkpoint, recovery from the WAL on the next start) and restarted;
- ``RedisServer``: a redis-server of its own, no persistence, killable;
- ``Gunicorn``: Kindred served as in production (sync workers, DJANGO_DEBUG=0);
- ``TaskWorker``: ``manage.py db_worker`` (django-tasks-db, the production backend),
  killable with SIGKILL;
- ``SmtpSink`` and ``SmsProviderMock``: the only mocks, the outbound providers: a
  minimal SMTP server and a Twilio-compatible REST endpoint that record what they were
  given, so deliveries are counted by what left Kindred;
- ``SmallDisk``: a tiny tmpfs to fill up (disk full).

The shared PostgreSQL and Redis of the machine are never touched: every port is a free
one found here, every process is started here and stopped by its own id.
"""

# ruff: noqa: S603, S607 - fixed argument lists for local programs (PostgreSQL, redis-server,
# mount, gunicorn, manage.py), never shell strings or outside input.

from __future__ import annotations

import email
import json
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

from kindred.core.liveserver import LiveServer

HOST = "127.0.0.1"
PG_BIN = Path(os.environ.get("KINDRED_FAULTS_PG_BIN", "/usr/lib/postgresql/15/bin"))
ROOT = Path(__file__).resolve().parents[3]
GUNICORN_OPTIONS = (
    "--worker-class", "sync", "--log-level", "warning", "--graceful-timeout", "5",
    "--timeout", "60",
)  # fmt: skip


class CannotRun(RuntimeError):
    """Something the run needs is missing here (exit code 2)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], bool], *, seconds: float, what: str, step: float = 0.1) -> float:
    """Poll ``check`` until it is true (bounded); returns the seconds waited."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > seconds:
            raise TimeoutError(f"{what}: not within {seconds:.0f} s")
        time.sleep(step)
    return time.monotonic() - started


def port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def _as_postgres(*args: str) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return list(args)


def requirements_missing() -> str | None:
    """Why the fault run cannot start here, or None."""
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL binaries not found in {PG_BIN} (KINDRED_FAULTS_PG_BIN)"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "runuser is needed to run PostgreSQL as the postgres user"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "there is no postgres user to run the throwaway cluster as"
    return None


# --- PostgreSQL -----------------------------------------------------------------------


class PgCluster:
    def __init__(self, base: Path) -> None:
        self.dir = base / "pg"
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = free_port()

    def init(self) -> None:
        self.dir.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            os.chmod(self.dir.parent, 0o755)  # noqa: S103 - postgres must reach its dir
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions",
        )  # fmt: skip
        settings = (
            f"port = {self.port}\nlisten_addresses = '{HOST}'\n"
            f"unix_socket_directories = '{self.dir}'\nfsync = on\nsynchronous_commit = on\n"
            "full_page_writes = on\nshared_buffers = 32MB\nmax_connections = 60\n"
            "logging_collector = off\n"
        )
        conf = self.data / "postgresql.conf"
        self._run("sh", "-c", f"cat >> {conf}", stdin=settings)

    def _run(self, *args: str, stdin: str | None = None, timeout: float = 120) -> str:
        done = subprocess.run(
            _as_postgres(*args),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd="/",
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self) -> float:
        started = time.monotonic()
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
            "-t", "60", "start",
        )  # fmt: skip
        return time.monotonic() - started

    def crash(self) -> None:
        """Immediate shutdown: every backend is killed, nothing is checkpointed; the next
        start replays the WAL (what a power cut or an OOM kill of the postmaster gives)."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, name: str = "kindred_faults") -> str:
        return f"postgres://postgres@{HOST}:{self.port}/{name}"

    def create_database(self, name: str = "kindred_faults") -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def recovery_lines(self) -> list[str]:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        wanted = ("was interrupted", "redo starts", "redo done", "automatic recovery")
        return [line.strip() for line in text.splitlines() if any(w in line for w in wanted)]


# --- Redis ----------------------------------------------------------------------------


class RedisServer:
    def __init__(self, base: Path) -> None:
        self.dir = base / "redis"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                "redis-server", "--port", str(self.port), "--bind", HOST, "--save", "",
                "--appendonly", "no", "--daemonize", "no", "--dir", str(self.dir),
                "--protected-mode", "yes", "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(lambda: port_open(self.port), seconds=15, what="redis-server start")

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


# --- Kindred processes ----------------------------------------------------------------


def kindred_env(
    *,
    database_url: str,
    redis_url: str,
    smtp_port: int,
    sms_url: str,
    static_root: Path,
) -> dict[str, str]:
    """Production-like settings (as the benchmark uses), pointed at the run's own
    services; the outbound providers are the run's mocks."""
    import base64
    import secrets

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"KINDRED_TESTING", "SECRET_KEY_FILE", "REDIS_URL_FILE", "DATABASE_URL"}
        and not k.startswith(("PYTEST_", "KINDRED_SMS_", "EMAIL_"))
    }
    env.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DJANGO_DEBUG": "0",
            "DJANGO_SETTINGS_MODULE": "kindred.settings",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "KINDRED_FIELD_KEYS": "faults:" + base64.b64encode(secrets.token_bytes(32)).decode(),
            "KINDRED_BACKUP_KEY": "faults:" + base64.b64encode(secrets.token_bytes(32)).decode(),
            "ALLOWED_HOSTS": HOST,
            "SITE_URL": f"https://{HOST}",
            "STATIC_ROOT": str(static_root),
            "LOG_LEVEL": "WARNING",
            "TASKS_BACKEND": "database",
            "EMAIL_URL": f"smtp://{HOST}:{smtp_port}",
            "KINDRED_SMS_PROVIDER": "http",
            "KINDRED_SMS_BASE_URL": sms_url,
            "KINDRED_SMS_ACCOUNT_SID": "ACfaults",
            "KINDRED_SMS_AUTH_TOKEN": "faults-token",
            "KINDRED_SMS_FROM": "+13125550100",
            # The embedding second opinion of the space's risk screening loads a model;
            # it is not what these faults are about (the phrase list still runs).
            "KINDRED_RISK_EMBEDDINGS": "0",
            "CONN_MAX_AGE": "60",
        }
    )
    return env


def static_root() -> Path:
    """Where the run keeps its collected static files between runs (the production
    storage hashes and compresses every file: minutes on a busy machine)."""
    data = Path(os.environ.get("KINDRED_DATA_DIR", ROOT / ".kindred"))
    return data / "faults-static"


def static_is_current(root: Path) -> bool:
    """The manifest exists and is newer than every static source file of Kindred."""
    manifest = root / "staticfiles.json"
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    for folder in (ROOT / "kindred").glob("*/static"):
        for path in folder.rglob("*"):
            if path.is_file() and path.stat().st_mtime > built:
                return False
    return True


def manage(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


class Gunicorn:
    """Kindred as in production (sync workers), on a free loopback port: a
    kindred.core.liveserver.LiveServer logging to ``<log_dir>/gunicorn-<port>.log``."""

    def __init__(self, env: dict[str, str], *, workers: int, log_dir: Path) -> None:
        self.env = env
        self.workers = workers
        port = free_port()
        self.server = LiveServer(
            env,
            workers=workers,
            log=log_dir / f"gunicorn-{port}.log",
            options=GUNICORN_OPTIONS,
            start_seconds=90,
            stop_seconds=20,
            port=port,
        )
        self.port = port
        self.log_path = self.server.log_path

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return self.server.process

    def start(self) -> None:
        self.server.start()

    def log_tail(self, chars: int = 4000) -> str:
        return self.server.log_tail(chars)

    def stop(self) -> None:
        self.server.stop()


class TaskWorker:
    """``manage.py db_worker`` on the reminders' queue, polling every 0.2 s."""

    def __init__(self, env: dict[str, str], log_dir: Path, name: str) -> None:
        self.env = env
        self.log_path = log_dir / f"worker-{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable, "manage.py", "db_worker", "--queue-name", "default",
                "--interval", "0.2", "--no-startup-delay", "--no-reload",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=self._log,
        )  # fmt: skip

    @property
    def pid(self) -> int:
        assert self.process is not None  # noqa: S101 - started
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind in the worker."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self._close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close()

    def _close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


# --- Outbound provider mocks ----------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    to: str
    subject: str
    at: datetime


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for Django's backend: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
    QUIT. A message counts once its DATA is accepted (the 250 after the dot)."""

    server: _SmtpServer

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        self._say("220 faults.invalid ESMTP sink")
        while True:
            raw = self.rfile.readline(4096)
            if not raw:
                return
            command = raw.decode("ascii", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-faults.invalid\r\n250 8BITMIME\r\n")
                self.wfile.flush()
            elif verb in {"HELO", "MAIL", "RCPT", "RSET", "NOOP"}:
                self._say("250 OK")
            elif verb == "DATA":
                self._say("354 End data with <CR><LF>.<CR><LF>")
                lines: list[bytes] = []
                while True:
                    line = self.rfile.readline(1 << 16)
                    if not line or line in {b".\r\n", b".\n"}:
                        break
                    lines.append(line[1:] if line.startswith(b"..") else line)
                message = email.message_from_bytes(b"".join(lines))
                self.server.sink.record(
                    Sent(
                        to=str(message.get("To", "")),
                        subject=str(email.header.make_header(email.header.decode_header(
                            message.get("Subject", "")))),
                        at=datetime.now(UTC),
                    )
                )  # fmt: skip
                self._say("250 OK queued")
            elif verb == "QUIT":
                self._say("221 Bye")
                return
            else:
                self._say("502 Command not implemented")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    sink: SmtpSink


class SmtpSink:
    def __init__(self) -> None:
        self.port = free_port()
        self._lock = threading.Lock()
        self.messages: list[Sent] = []
        self._server = _SmtpServer((HOST, self.port), _SmtpHandler)
        self._server.sink = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def record(self, sent: Sent) -> None:
        with self._lock:
            self.messages.append(sent)

    def count(self) -> int:
        with self._lock:
            return len(self.messages)

    def snapshot(self) -> list[Sent]:
        with self._lock:
            return list(self.messages)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()


class _SmsHandler(BaseHTTPRequestHandler):
    server: _SmsServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        return

    def _answer(self, status: int, data: dict[str, Any]) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        to = form.get("To", [""])[0]
        body = form.get("Body", [""])[0]
        sid = self.server.mock.record(to, body)
        self._answer(201, {"sid": sid, "status": "queued", "to": to, "body": body})

    def do_GET(self) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        to = query.get("To", [""])[0]
        found = [
            {
                "sid": sid,
                "to": m_to,
                "body": m_body,
                "status": "delivered",
                "date_created": format_datetime(at, usegmt=True),
            }
            for sid, m_to, m_body, at in reversed(self.server.mock.snapshot())
            if m_to == to
        ]
        self._answer(200, {"messages": found[:50]})


class _SmsServer(ThreadingHTTPServer):
    daemon_threads = True
    mock: SmsProviderMock


class SmsProviderMock:
    """A Twilio-compatible Messages endpoint: POST records a text, GET lists them."""

    def __init__(self) -> None:
        self.port = free_port()
        self._lock = threading.Lock()
        self._messages: list[tuple[str, str, str, datetime]] = []
        self._server = _SmsServer((HOST, self.port), _SmsHandler)
        self._server.mock = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def record(self, to: str, body: str) -> str:
        with self._lock:
            sid = f"SM{len(self._messages) + 1:08d}"
            self._messages.append((sid, to, body, datetime.now(UTC)))
            return sid

    def snapshot(self) -> list[tuple[str, str, str, datetime]]:
        with self._lock:
            return list(self._messages)

    def count(self) -> int:
        with self._lock:
            return len(self._messages)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()


# --- A small disk ---------------------------------------------------------------------


class SmallDisk:
    """A tmpfs of ``size_kb`` (root only; a bind of nothing else). ``fill`` leaves
    ``free_kb`` free with a ballast file."""

    def __init__(self, base: Path, size_kb: int) -> None:
        self.path = base / "small-disk"
        self.size_kb = size_kb
        self.mounted = False

    def mount(self) -> str | None:
        """Mount it; returns why not, or None."""
        if os.geteuid() != 0:
            return "mounting a tmpfs needs root"
        self.path.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={self.size_kb}k,mode=1777", "tmpfs",
             str(self.path)],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )  # fmt: skip
        if done.returncode != 0:
            return f"mount -t tmpfs failed: {done.stderr.strip()}"
        self.mounted = True
        return None

    def fill(self, free_kb: int) -> None:
        stats = os.statvfs(self.path)
        free = stats.f_bavail * stats.f_frsize
        ballast = max(0, free - free_kb * 1024)
        with (self.path / "ballast").open("wb") as out:
            chunk = b"\0" * 65536
            while ballast > 0:
                n = min(ballast, len(chunk))
                out.write(chunk[:n])
                ballast -= n

    def files(self) -> set[str]:
        found: set[str] = set()
        for dirpath, dirnames, filenames in os.walk(self.path):
            for name in [*filenames, *dirnames]:
                found.add(str(Path(dirpath, name).relative_to(self.path)))
        return found

    def free_bytes(self) -> int:
        stats = os.statvfs(self.path)
        return stats.f_bavail * stats.f_frsize

    def unmount(self) -> None:
        if self.mounted:
            subprocess.run(["umount", str(self.path)], check=False, timeout=30)
            self.mounted = False


def temporary_base() -> Path:
    base = Path(tempfile.mkdtemp(prefix="kindred-faults-"))
    os.chmod(base, 0o755)  # noqa: S103 - the postgres user must reach the cluster
    return base
