"""Encrypted backups of the database and uploaded files (docs/backups.md).

A backup is one file::

    magic "KNDRBKP\\n" (8 bytes) | header length (4 bytes, big-endian) | header (JSON)
    | record | record | ... | final record

The header is readable without the key (format version, key id, created-at, git commit,
database vendor and server version, the tool that dumped it, a random salt) and is
authenticated: every record's key is derived from the backup key and the exact header
bytes (HKDF-SHA256, salt from the header), and the header's SHA-256 is every record's
associated data, so a changed header byte makes the first record fail.

Each record is ``length (4 bytes) | AES-256-GCM ciphertext + tag`` of up to 1 MiB of the
plaintext; the nonce is the record's counter and a final flag, so records cannot be
reordered, dropped or the file cut short without an error. The plaintext is a tar stream
(``manifest.json`` with row counts per table, then ``database.dump`` — a pg_dump custom
format archive — or ``database.sqlite3``, then ``media/…``). The final record is sealed
with the final flag and holds the plaintext's SHA-256, its size and the record count: it
is the trailer (a one-pass stream cannot know the hash when the header is written).

The plaintext only ever exists inside a private temporary directory (mode 0700), removed
even on error. Restore decrypts and verifies everything into such a directory first; only
when the whole archive checks out does it touch the database.

Keys: ``KINDRED_BACKUP_KEY`` (or ``KINDRED_BACKUP_KEY_FILE``) in the same form as
KINDRED_FIELD_KEYS (``id:base64key,id:base64key``; the first encrypts, all decrypt). It is
a separate key on purpose: a backup may be handed to storage operators who must never be
able to read it, and rotating the field keys must not make old backups unreadable. In
DEBUG and tests a development key derived from SECRET_KEY (id ``dev``) is used.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from kindred.core import crypto

MAGIC = b"KNDRBKP\n"
FORMAT = "kindred-backup"
FORMAT_VERSION = 1
CHUNK_BYTES = 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024
MAX_RECORD_BYTES = CHUNK_BYTES + 16 + 64 * 1024
DUMP_NAME = "database.dump"
SQLITE_NAME = "database.sqlite3"
MANIFEST_NAME = "manifest.json"
MEDIA_DIR = "media"

Progress = Callable[[str], None]
ByteProgress = Callable[[int], object]


class BackupError(Exception):
    """A backup or restore could not be done; the message says why in plain words."""


class ArchiveRefused(BackupError):
    """The archive is not a Kindred backup, was changed, or needs a key we do not have.
    Nothing was restored."""


# --- Keys ----------------------------------------------------------------------------------


def _key_spec() -> str:
    spec = getattr(settings, "KINDRED_BACKUP_KEY", None)
    if spec:
        return str(spec)
    path = os.environ.get("KINDRED_BACKUP_KEY_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get("KINDRED_BACKUP_KEY", "")


def keyring() -> crypto.KeyRing:
    """The backup key ring: KINDRED_BACKUP_KEY (setting, environment or _FILE)."""
    spec = _key_spec()
    if not spec:
        if settings.DEBUG or getattr(settings, "TESTING", False):
            key = hashlib.sha256(b"kindred-backup-key-dev|" + settings.SECRET_KEY.encode())
            return crypto.KeyRing(current_id="dev", keys={"dev": key.digest()})
        raise ImproperlyConfigured(
            "KINDRED_BACKUP_KEY (or KINDRED_BACKUP_KEY_FILE) must be set to back up or "
            "restore: 'id:base64key' with a 32-byte key (docs/backups.md shows how)."
        )
    try:
        return crypto.parse_keys(spec)
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(
            str(exc).replace("KINDRED_FIELD_KEYS", "KINDRED_BACKUP_KEY")
        ) from exc


def _record_key(master: bytes, salt: bytes, header: bytes) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=crypto.KEY_BYTES,
        salt=salt,
        info=b"kindred-backup v1|" + hashlib.sha256(header).digest(),
    )
    return hkdf.derive(master)


def _nonce(counter: int, final: bool) -> bytes:
    return struct.pack(">Q", counter) + b"\x00\x00\x00" + (b"\x01" if final else b"\x00")


# --- The encrypted stream ---------------------------------------------------------------------


class EncryptingWriter(io.RawIOBase):
    """A write-only file object: plaintext in, sealed records out, in CHUNK_BYTES pieces."""

    def __init__(self, out: IO[bytes], key: bytes, aad: bytes) -> None:
        super().__init__()
        self._out = out
        self._aead = AESGCM(key)
        self._aad = aad
        self._buffer = bytearray()
        self._counter = 0
        self.sha256 = hashlib.sha256()
        self.plaintext_bytes = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = bytes(data)
        self.sha256.update(view)
        self.plaintext_bytes += len(view)
        self._buffer += view
        while len(self._buffer) >= CHUNK_BYTES:
            self._seal(bytes(self._buffer[:CHUNK_BYTES]), final=False)
            del self._buffer[:CHUNK_BYTES]
        return len(view)

    def _seal(self, plain: bytes, *, final: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._counter, final), plain, self._aad)
        self._out.write(struct.pack(">I", len(sealed)) + sealed)
        self._counter += 1

    def finish(self, trailer: dict[str, Any]) -> dict[str, Any]:
        if self._buffer:
            self._seal(bytes(self._buffer), final=False)
            self._buffer.clear()
        trailer = {
            **trailer,
            "plaintext_sha256": self.sha256.hexdigest(),
            "plaintext_bytes": self.plaintext_bytes,
            "records": self._counter,
        }
        self._seal(json.dumps(trailer, sort_keys=True).encode(), final=True)
        return trailer


class DecryptingReader(io.RawIOBase):
    """A read-only file object over the records; verifies each one before giving out its
    bytes, and the trailer (hash, size, count) when the stream ends."""

    def __init__(self, source: IO[bytes], key: bytes, aad: bytes, on_bytes: ByteProgress) -> None:
        super().__init__()
        self._source = source
        self._aead = AESGCM(key)
        self._aad = aad
        self._counter = 0
        self._pending = b""
        self._on_bytes = on_bytes
        self.sha256 = hashlib.sha256()
        self.plaintext_bytes = 0
        self.trailer: dict[str, Any] | None = None

    def readable(self) -> bool:
        return True

    def _next_record(self) -> tuple[bytes, bool]:
        length_bytes = self._source.read(4)
        if len(length_bytes) != 4:
            raise ArchiveRefused(
                "The backup ends early (cut short or incomplete): nothing was restored."
            )
        (length,) = struct.unpack(">I", length_bytes)
        if length < 16 or length > MAX_RECORD_BYTES:
            raise ArchiveRefused(
                f"The backup is damaged at record {self._counter} (impossible length): "
                "nothing was restored."
            )
        sealed = self._source.read(length)
        if len(sealed) != length:
            raise ArchiveRefused(
                "The backup ends early (cut short or incomplete): nothing was restored."
            )
        self._on_bytes(4 + length)
        for final in (False, True):
            try:
                plain = self._aead.decrypt(_nonce(self._counter, final), sealed, self._aad)
            except InvalidTag:
                continue
            self._counter += 1
            return plain, final
        if self._counter == 0:
            raise ArchiveRefused(
                "The backup failed its integrity check at its first record: it was "
                "encrypted with a different key of the same id, or its header or data were "
                "changed. Nothing was restored."
            )
        raise ArchiveRefused(
            f"The backup failed its integrity check at record {self._counter}: it was "
            "changed or damaged. Nothing was restored."
        )

    def readinto(self, buffer: Any) -> int:
        while not self._pending and self.trailer is None:
            plain, final = self._next_record()
            if final:
                self._accept_trailer(plain)
            else:
                self.sha256.update(plain)
                self.plaintext_bytes += len(plain)
                self._pending = plain
        if not self._pending:
            return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _accept_trailer(self, plain: bytes) -> None:
        trailer = json.loads(plain)
        if (
            trailer.get("plaintext_sha256") != self.sha256.hexdigest()
            or trailer.get("plaintext_bytes") != self.plaintext_bytes
            or trailer.get("records") != self._counter - 1
        ):
            raise ArchiveRefused(
                "The backup's contents do not match its recorded SHA-256 and size. Nothing "
                "was restored."
            )
        self.trailer = trailer

    def drain(self) -> None:
        """Read to the end (past tar padding) so the trailer is checked."""
        while self.read(CHUNK_BYTES):
            pass
        if self.trailer is None:
            raise ArchiveRefused("The backup has no trailer. Nothing was restored.")
        if self._source.read(1):
            raise ArchiveRefused(
                "The backup has data after its final record. Nothing was restored."
            )


def read_header(source: IO[bytes]) -> tuple[dict[str, Any], bytes]:
    magic = source.read(len(MAGIC))
    if magic != MAGIC:
        raise ArchiveRefused("This file is not a Kindred backup (wrong magic bytes).")
    raw_length = source.read(4)
    if len(raw_length) != 4:
        raise ArchiveRefused("The backup's header is cut short.")
    (length,) = struct.unpack(">I", raw_length)
    if length > MAX_HEADER_BYTES:
        raise ArchiveRefused("The backup's header is too long: the file is damaged.")
    raw = source.read(length)
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ArchiveRefused("The backup's header is not readable: the file is damaged.") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ArchiveRefused("The backup's header does not describe a Kindred backup.")
    if header.get("version") != FORMAT_VERSION:
        raise ArchiveRefused(
            f"The backup has format version {header.get('version')!r}; this Kindred reads "
            f"version {FORMAT_VERSION}."
        )
    return header, raw


def inspect(path: Path) -> dict[str, Any]:
    """The header of a backup (no key needed)."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    with path.open("rb") as source:
        return read_header(source)[0]


# --- Private temporary directories ----------------------------------------------------------


@contextmanager
def private_directory(near: Path | None = None) -> Iterator[Path]:
    """A directory only this user can enter (0700), removed on the way out, even on error."""
    base = os.environ.get("KINDRED_BACKUP_TMPDIR") or None
    path = Path(tempfile.mkdtemp(prefix="kindred-backup-", dir=base))
    try:
        path.chmod(0o700)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# --- Databases ----------------------------------------------------------------------------


@dataclass
class Target:
    """A database to back up or restore into (a Django settings dict)."""

    settings_dict: dict[str, Any]

    @property
    def vendor(self) -> str:
        engine = str(self.settings_dict["ENGINE"])
        if "postgresql" in engine:
            return "postgresql"
        if "sqlite3" in engine:
            return "sqlite"
        return engine.rsplit(".", 1)[-1]

    @property
    def name(self) -> str:
        return str(self.settings_dict["NAME"])

    def pg_args(self) -> list[str]:
        args = []
        for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            value = self.settings_dict.get(key)
            if value:
                args += [flag, str(value)]
        return args

    def pg_env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.settings_dict.get("PASSWORD"):
            env["PGPASSWORD"] = str(self.settings_dict["PASSWORD"])
        env.pop("PGOPTIONS", None)
        return env

    def pg_connect(self) -> Any:
        import psycopg

        kwargs: dict[str, Any] = {"dbname": self.name}
        for name, key in (("host", "HOST"), ("port", "PORT"), ("user", "USER")):
            if self.settings_dict.get(key):
                kwargs[name] = self.settings_dict[key]
        if self.settings_dict.get("PASSWORD"):
            kwargs["password"] = self.settings_dict["PASSWORD"]
        return psycopg.connect(**kwargs)


def default_target() -> Target:
    from django.db import connections

    return Target(dict(connections["default"].settings_dict))


def _pg_tables(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
    )
    return [row[0] for row in cursor.fetchall()]


def _tool_major(tool: str) -> tuple[int, str]:
    found = shutil.which(tool)
    if not found:
        raise BackupError(f"{tool} is not installed (install the PostgreSQL client tools).")
    out = subprocess.run(  # noqa: S603
        [found, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    match = re.search(r"(\d+)(?:\.(\d+))?", out)
    if not match:
        raise BackupError(f"Could not read the version of {tool}: {out!r}.")
    return int(match.group(1)), out


def _check_tool(tool: str, server_version_num: int) -> str:
    major, text = _tool_major(tool)
    server_major = server_version_num // 10000
    if major < server_major:
        raise BackupError(
            f"{text} is older than the PostgreSQL server ({server_major}): install the "
            f"PostgreSQL {server_major} client tools."
        )
    return text


def table_row_counts(target: Target) -> dict[str, int]:
    """Rows per table now (used to check a restore)."""
    if target.vendor == "postgresql":
        with target.pg_connect() as conn, conn.cursor() as cursor:
            counts = {}
            for table in _pg_tables(cursor):
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - quoted names
                counts[table] = int(cursor.fetchone()[0])
            return counts
    from django.db import connection

    with connection.cursor() as cursor:
        return _sqlite_counts(cursor)


def _sqlite_counts(cursor: Any) -> dict[str, int]:
    cursor.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    )
    counts = {}
    for (name,) in cursor.fetchall():
        quoted = '"' + name.replace('"', '""') + '"'
        cursor.execute(f"SELECT count(*) FROM {quoted}")  # noqa: S608 - quoted names
        counts[name] = int(cursor.fetchone()[0])
    return counts


def table_digests(target: Target) -> dict[str, str]:
    """An MD5 of every row of every table (rows as text, in text order), for comparing a
    restored database with its source (PostgreSQL; used by the tests and restore drills)."""
    with target.pg_connect() as conn, conn.cursor() as cursor:
        digests = {}
        for table in _pg_tables(cursor):
            cursor.execute(
                f"SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '')"  # noqa: S608
                f" FROM {table} AS t"
            )
            count, digest = cursor.fetchone()
            digests[table] = f"{count}:{digest}"
        return digests


def is_empty(target: Target) -> bool:
    if target.vendor == "postgresql":
        with target.pg_connect() as conn, conn.cursor() as cursor:
            return not _pg_tables(cursor)
    return not any(table_row_counts(target).values())


def _dump_postgresql(target: Target, into: Path) -> dict[str, Any]:
    """pg_dump -Fc from one snapshot, with the row counts of that same snapshot."""
    import psycopg

    with target.pg_connect() as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.cursor() as cursor:
            cursor.execute("SHOW server_version_num")
            server = int(cursor.fetchone()[0])
            tool = _check_tool("pg_dump", server)
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = {}
            for table in _pg_tables(cursor):
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - quoted names
                counts[table] = int(cursor.fetchone()[0])
            result = subprocess.run(  # noqa: S603
                [
                    shutil.which("pg_dump") or "pg_dump",
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={into / DUMP_NAME}",
                    *target.pg_args(),
                    "--dbname",
                    target.name,
                ],
                env=target.pg_env(),
                capture_output=True,
                text=True,
                check=False,
            )
        conn.rollback()
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()[-2000:]}")
    return {"server_version_num": server, "tool": tool, "tables": counts}


def _dump_sqlite(into: Path) -> dict[str, Any]:
    from django.db import connection

    if connection.in_atomic_block:
        raise BackupError("Run the SQLite backup outside a transaction (it would wait forever).")
    connection.ensure_connection()
    raw = connection.connection
    destination = sqlite3.connect(into / SQLITE_NAME)
    try:
        raw.backup(destination)
    finally:
        destination.close()
    with connection.cursor() as cursor:
        counts = _sqlite_counts(cursor)
    return {"server_version_num": 0, "tool": f"sqlite {sqlite3.sqlite_version}", "tables": counts}


def _git_commit() -> str:
    commit = os.environ.get("KINDRED_GIT_COMMIT")
    if commit:
        return commit
    git = shutil.which("git")
    if not git:
        return "unknown"
    try:
        out = subprocess.run(  # noqa: S603
            [git, "rev-parse", "HEAD"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def media_root() -> Path | None:
    """The uploaded-files directory, or None when none is configured (MEDIA_ROOT unset:
    Django's default "" would mean the working directory, which is never backed up)."""
    root = getattr(settings, "MEDIA_ROOT", "") or ""
    return Path(root) if str(root) else None


def _media_files(root: Path | None) -> list[Path]:
    if root is None or not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


# --- Backup -------------------------------------------------------------------------------


@dataclass
class Figures:
    seconds: float = 0.0
    archive_bytes: int = 0
    plaintext_bytes: int = 0
    database_bytes: int = 0
    media_files: int = 0
    media_bytes: int = 0
    tables: int = 0
    rows: int = 0
    per_table: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 3),
            "archive_bytes": self.archive_bytes,
            "plaintext_bytes": self.plaintext_bytes,
            "database_bytes": self.database_bytes,
            "media_files": self.media_files,
            "media_bytes": self.media_bytes,
            "tables": self.tables,
            "rows": self.rows,
            **self.extra,
        }


def _quiet(_: object) -> None:
    return None


def backup(
    output: Path,
    *,
    target: Target | None = None,
    say: Progress = _quiet,
    on_bytes: ByteProgress = _quiet,
) -> Figures:
    """Write an encrypted backup of the database and uploaded files to ``output``
    (written as ``output.partial`` and renamed when complete; mode 0600)."""
    started = time.monotonic()
    target = target or default_target()
    ring = keyring()
    if output.exists():
        raise BackupError(f"{output} already exists: choose another name.")
    if not output.parent.is_dir():
        raise BackupError(f"The folder {output.parent} does not exist.")
    figures = Figures()
    with private_directory() as work:
        say(f"Dumping the {target.vendor} database {target.name}…")
        if target.vendor == "postgresql":
            dumped = _dump_postgresql(target, work)
            dump_file = work / DUMP_NAME
        elif target.vendor == "sqlite":
            dumped = _dump_sqlite(work)
            dump_file = work / SQLITE_NAME
        else:
            raise BackupError(f"Backups support PostgreSQL and SQLite, not {target.vendor}.")
        figures.database_bytes = dump_file.stat().st_size
        figures.per_table = dumped["tables"]
        figures.tables = len(dumped["tables"])
        figures.rows = sum(dumped["tables"].values())
        root = media_root()
        media = _media_files(root)
        figures.media_files = len(media)
        figures.media_bytes = sum(p.stat().st_size for p in media)
        say(
            f"Dumped {figures.tables} tables, {figures.rows} rows "
            f"({figures.database_bytes} bytes); {figures.media_files} uploaded files."
        )
        salt = os.urandom(32)
        header: dict[str, Any] = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "key_id": ring.current_id,
            "salt": base64.b64encode(salt).decode(),
            "created_at": timezone.now().isoformat(),
            "git_commit": _git_commit(),
            "database": {
                "vendor": target.vendor,
                "name": target.name,
                "server_version_num": dumped["server_version_num"],
                "tool": dumped["tool"],
            },
            "chunk_bytes": CHUNK_BYTES,
        }
        raw_header = json.dumps(header, sort_keys=True).encode()
        key = _record_key(ring.current, salt, raw_header)
        manifest = {
            "vendor": target.vendor,
            "database_file": dump_file.name,
            "tables": dumped["tables"],
            "media_root": str(root) if root else None,
            "media_files": figures.media_files,
            "media_bytes": figures.media_bytes,
        }
        say("Encrypting…")
        members = [(dump_file, dump_file.name)]
        if root is not None:
            members += [(p, f"{MEDIA_DIR}/{p.relative_to(root).as_posix()}") for p in media]
        trailer = _write_archive(
            output,
            raw_header,
            key,
            json.dumps(manifest, indent=1).encode(),
            members,
            {"tables": figures.tables, "rows": figures.rows},
            on_bytes,
        )
    figures.plaintext_bytes = int(trailer["plaintext_bytes"])
    figures.archive_bytes = output.stat().st_size
    figures.seconds = time.monotonic() - started
    figures.extra = {
        "key_id": ring.current_id,
        "plaintext_sha256": trailer["plaintext_sha256"],
        "git_commit": header["git_commit"],
        "vendor": target.vendor,
    }
    return figures


def _write_archive(  # noqa: PLR0917 - one private call site
    output: Path,
    raw_header: bytes,
    key: bytes,
    manifest: bytes,
    members: list[tuple[Path, str]],
    totals: dict[str, int],
    on_bytes: ByteProgress,
) -> dict[str, Any]:
    """Stream the tar of ``members`` through the encryption into ``output``.partial (mode
    0600, created exclusively), then rename it; the partial file is removed on error."""
    partial = output.with_name(output.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + struct.pack(">I", len(raw_header)) + raw_header)
            writer = EncryptingWriter(out, key, hashlib.sha256(raw_header).digest())
            with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                _add_bytes(tar, MANIFEST_NAME, manifest)
                for path, name in members:
                    _add_file(tar, path, name, on_bytes)
            trailer = writer.finish(totals)
            out.flush()
            os.fsync(out.fileno())
        partial.rename(output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return trailer


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(time.time())
    tar.addfile(info, io.BytesIO(data))


class _Counting(io.RawIOBase):
    def __init__(self, inner: IO[bytes], on_bytes: ByteProgress) -> None:
        super().__init__()
        self._inner = inner
        self._on_bytes = on_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        if data:
            self._on_bytes(len(data))
        return len(data)


def _add_file(tar: tarfile.TarFile, path: Path, name: str, on_bytes: ByteProgress) -> None:
    info = tar.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    with path.open("rb") as source:
        tar.addfile(info, io.BufferedReader(_Counting(source, on_bytes), CHUNK_BYTES))


# --- Restore ------------------------------------------------------------------------------


def _unpack(
    path: Path, into: Path, on_bytes: ByteProgress
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Decrypt and verify the whole archive into ``into``; return (header, manifest)."""
    with path.open("rb") as source:
        header, raw_header = read_header(source)
        ring = keyring()
        master = ring.keys.get(str(header.get("key_id")))
        if master is None:
            raise ArchiveRefused(
                f"This backup was encrypted with backup key {header.get('key_id')!r}, which "
                "is not in KINDRED_BACKUP_KEY. Add that key (after the current one) and try "
                "again. Nothing was restored."
            )
        try:
            salt = base64.b64decode(str(header["salt"]), validate=True)
        except (KeyError, ValueError) as exc:
            raise ArchiveRefused("The backup's header has no valid salt.") from exc
        key = _record_key(master, salt, raw_header)
        reader = DecryptingReader(source, key, hashlib.sha256(raw_header).digest(), on_bytes)
        buffered = io.BufferedReader(reader, CHUNK_BYTES)
        try:
            with tarfile.open(fileobj=buffered, mode="r|") as tar:
                tar.extractall(into, filter="data")
        except tarfile.TarError as exc:
            raise ArchiveRefused(f"The backup's contents are not readable: {exc}") from exc
        while buffered.read(CHUNK_BYTES):
            pass
        reader.drain()
    try:
        manifest = json.loads((into / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArchiveRefused("The backup holds no readable manifest.") from exc
    header["plaintext_bytes"] = reader.plaintext_bytes
    return header, manifest


def restore(
    path: Path,
    *,
    target: Target | None = None,
    force: bool = False,
    say: Progress = _quiet,
    on_bytes: ByteProgress = _quiet,
) -> Figures:
    """Verify the whole backup, then restore it into ``target`` (the default database).
    Refuses a changed archive, a missing key or a non-empty database (unless ``force``)
    before changing anything."""
    started = time.monotonic()
    target = target or default_target()
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    figures = Figures(archive_bytes=path.stat().st_size)
    with private_directory() as work:
        say("Decrypting and verifying the whole backup…")
        header, manifest = _unpack(path, work, on_bytes)
        verified = time.monotonic()
        if manifest.get("vendor") != target.vendor:
            raise BackupError(
                f"This is a {manifest.get('vendor')} backup; the database here is "
                f"{target.vendor}. Nothing was restored."
            )
        if not force and not is_empty(target):
            raise BackupError(
                f"The database {target.name} is not empty: restore into a new empty "
                "database, or pass --force to replace what is there. Nothing was restored."
            )
        root = media_root()
        extracted_media = work / MEDIA_DIR
        if extracted_media.is_dir() and root is None:
            raise BackupError(
                "The backup holds uploaded files but MEDIA_ROOT is not set. Nothing was restored."
            )
        if extracted_media.is_dir() and root and _media_files(root) and not force:
            raise BackupError(
                f"MEDIA_ROOT ({root}) already holds files: pass --force to overwrite. Nothing "
                "was restored."
            )
        database_file = work / str(manifest["database_file"])
        figures.database_bytes = database_file.stat().st_size
        say(f"Restoring the database into {target.name}…")
        if target.vendor == "postgresql":
            _restore_postgresql(target, database_file, force=force)
        else:
            _restore_sqlite(database_file)
        if extracted_media.is_dir() and root:
            say("Restoring uploaded files…")
            files = _media_files(extracted_media)
            for source in files:
                destination = root / source.relative_to(extracted_media)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, destination)
            figures.media_files = len(files)
            figures.media_bytes = sum(p.stat().st_size for p in files)
        say("Checking row counts…")
        expected: dict[str, int] = {str(k): int(v) for k, v in manifest["tables"].items()}
        found = table_row_counts(target)
        differing = sorted(t for t, n in expected.items() if found.get(t) != n)
        if differing:
            raise BackupError(
                "The restored database does not hold the rows the backup recorded, in: "
                + ", ".join(differing[:10])
            )
    figures.per_table = expected
    figures.plaintext_bytes = int(header["plaintext_bytes"])
    figures.tables = len(expected)
    figures.rows = sum(expected.values())
    figures.seconds = time.monotonic() - started
    figures.extra = {
        "verify_seconds": round(verified - started, 3),
        "key_id": header["key_id"],
        "created_at": header["created_at"],
        "git_commit": header["git_commit"],
        "vendor": target.vendor,
    }
    return figures


def _restore_postgresql(target: Target, dump: Path, *, force: bool) -> None:
    with target.pg_connect() as conn, conn.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        server = int(cursor.fetchone()[0])
    _check_tool("pg_restore", server)
    command = [
        shutil.which("pg_restore") or "pg_restore",
        "--single-transaction",
        "--exit-on-error",
        "--no-owner",
        *target.pg_args(),
        "--dbname",
        target.name,
    ]
    if force:
        command[1:1] = ["--clean", "--if-exists"]
    result = subprocess.run(  # noqa: S603
        [*command, str(dump)],
        env=target.pg_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(
            "pg_restore failed and rolled back (the database is as it was): "
            + result.stderr.strip()[-2000:]
        )


def _restore_sqlite(database_file: Path) -> None:
    from django.db import connection

    connection.ensure_connection()
    source = sqlite3.connect(database_file)
    try:
        source.backup(connection.connection)
    finally:
        source.close()
