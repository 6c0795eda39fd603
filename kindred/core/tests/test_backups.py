"""Encrypted backups (kindred/core/backups.py, docs/backups.md): a round trip keeps every
table's rows (compared by row hashes on PostgreSQL), a changed byte, a cut-short file or
a wrong key is refused before anything changes, a non-empty database is not overwritten
without --force, and the plaintext never lands outside a private temporary directory."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from kindred.clients.models import Client
from kindred.core import backups
from kindred.core.testing import Cast
from kindred.psychnotes import services as psychnotes

CANARY = "CANARY-backup-7f3a note text"

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: pg_dump/pg_restore and per-table md5(string_agg(row::text)) "
    "need a PostgreSQL server (CI runs the suite on PostgreSQL).",
)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Private temporary directories go here, so the tests can see they are removed."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("KINDRED_BACKUP_TMPDIR", str(work))
    return work


def data(cast: Cast) -> None:
    """Representative rows beyond the cast: an encrypted psychotherapy note."""
    psychnotes.psychnote_create(
        actor=cast.facilitator, client=cast.client, title="Backup title", body=CANARY
    )


def other_key(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


def flip(path: Path, offset: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x01
    path.write_bytes(bytes(raw))


def sqlite_digests() -> dict[str, str]:
    digests = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - quoted table names
            rows = sorted(repr(row) for row in cursor.fetchall())
            digests[table] = (
                f"{len(rows)}:"
                + hashlib.md5(  # noqa: S324 - not security
                    "\n".join(rows).encode()
                ).hexdigest()
            )
    return digests


def test_the_archive_is_encrypted_private_and_leaves_no_plaintext_behind(
    transactional_db, cast, tmp_path, workdir
):
    data(cast)
    archive = tmp_path / "a.kbak"
    figures = backups.backup(archive)
    raw = archive.read_bytes()
    assert raw.startswith(backups.MAGIC)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    for canary in (CANARY, cast.client.legal_last_name, "CREATE TABLE", "SQLite format"):
        assert canary.encode() not in raw
    assert list(workdir.iterdir()) == []  # the private directory is gone
    assert figures.tables > 50
    assert figures.archive_bytes == len(raw)
    header = backups.inspect(archive)
    assert header["version"] == backups.FORMAT_VERSION
    assert header["key_id"] == "dev"
    assert header["database"]["vendor"] == connection.vendor.replace("postgresql", "postgresql")
    assert len(header["git_commit"]) >= 7
    assert header["created_at"]


def test_backup_refuses_to_overwrite_an_existing_file(db, tmp_path):
    archive = tmp_path / "a.kbak"
    archive.write_bytes(b"keep me")
    with pytest.raises(backups.BackupError, match="already exists"):
        backups.backup(archive)
    assert archive.read_bytes() == b"keep me"


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("middle", "failed its integrity check at"),
        ("first-record", "integrity check at its first record"),
        ("header", "integrity check at its first record"),
        ("magic", "not a Kindred backup"),
        ("cut", "ends early"),
    ],
)
@pytest.mark.usefixtures("transactional_db")
def test_a_changed_or_cut_archive_is_refused_and_nothing_changes(
    cast, tmp_path, workdir, where, message
):
    data(cast)
    archive = tmp_path / "a.kbak"
    backups.backup(archive)
    size = archive.stat().st_size
    header_end = len(backups.MAGIC) + 4 + int.from_bytes(archive.read_bytes()[8:12], "big")
    if where == "middle":
        flip(archive, size // 2)
    elif where == "first-record":
        flip(archive, header_end + 40)
    elif where == "header":
        raw = archive.read_bytes()
        at = raw.index(b'"created_at": "') + len('"created_at": "') + 3  # a digit of the year
        flip(archive, at)
    elif where == "magic":
        flip(archive, 0)
    else:
        archive.write_bytes(archive.read_bytes()[: size - 100])
    Client.objects.filter(pk=cast.client_b.pk).update(preferred_name="Changed after backup")
    with pytest.raises(backups.ArchiveRefused, match=message):
        backups.restore(archive, force=True)
    assert Client.objects.get(pk=cast.client_b.pk).preferred_name == "Changed after backup"
    assert list(workdir.iterdir()) == []


def test_a_wrong_key_is_refused_with_a_clear_message(
    transactional_db, cast, tmp_path, settings, workdir
):
    archive = tmp_path / "a.kbak"
    backups.backup(archive)
    settings.KINDRED_BACKUP_KEY = other_key("dev")  # same id, different key
    with pytest.raises(backups.ArchiveRefused, match="different key of the same id"):
        backups.restore(archive, force=True)
    settings.KINDRED_BACKUP_KEY = other_key("k2027")  # the archive's key is not in the ring
    with pytest.raises(backups.ArchiveRefused, match="backup key 'dev', which is not in"):
        backups.restore(archive, force=True)
    assert list(workdir.iterdir()) == []


def test_an_old_key_after_the_current_one_still_restores_the_header(
    transactional_db, cast, tmp_path, settings
):
    settings.KINDRED_BACKUP_KEY = old = other_key("k2026")
    archive = tmp_path / "a.kbak"
    backups.backup(archive)
    settings.KINDRED_BACKUP_KEY = f"{other_key('k2027')},{old}"
    assert backups.inspect(archive)["key_id"] == "k2026"
    with pytest.raises(backups.BackupError, match="not empty"):  # decrypted, then refused
        backups.restore(archive)


def test_a_non_empty_database_is_not_overwritten_without_force(
    transactional_db, cast, tmp_path, workdir
):
    data(cast)
    archive = tmp_path / "a.kbak"
    backups.backup(archive)
    Client.objects.filter(pk=cast.client_b.pk).update(preferred_name="Changed after backup")
    with pytest.raises(CommandError, match="not empty: restore into a new empty database"):
        call_command("restore", str(archive))
    assert Client.objects.get(pk=cast.client_b.pk).preferred_name == "Changed after backup"
    assert list(workdir.iterdir()) == []


def test_bad_key_settings_are_named_without_the_key(tmp_path, settings, db):
    settings.KINDRED_BACKUP_KEY = "k1:not-base64"
    with pytest.raises(CommandError, match="KINDRED_BACKUP_KEY key 'k1' must be 32 bytes"):
        call_command("backup", str(tmp_path / "a.kbak"))
    assert not list(tmp_path.iterdir())


@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="SQLite only: on PostgreSQL the round trip into a fresh database is "
    "test_round_trip_into_a_fresh_postgresql_database.",
)
def test_sqlite_round_trip_with_force(transactional_db, tmp_path, workdir):
    from kindred.core.testing import build_cast

    cast = build_cast()
    data(cast)
    before = sqlite_digests()
    archive = tmp_path / "a.kbak"
    out = io.StringIO()
    call_command("backup", str(archive), "--json", stdout=out)
    made = json.loads(out.getvalue())
    Client.objects.filter(pk=cast.client_b.pk).update(preferred_name="Changed after backup")
    assert sqlite_digests() != before
    out = io.StringIO()
    call_command("restore", str(archive), "--force", "--json", stdout=out)
    restored = json.loads(out.getvalue())
    assert sqlite_digests() == before
    assert restored["rows"] == made["rows"] > 0
    assert restored["tables"] == made["tables"]
    print("BACKUP_FIGURES", json.dumps({"backup": made, "restore": restored}))  # noqa: T201
    assert list(workdir.iterdir()) == []


# --- PostgreSQL ---------------------------------------------------------------------------


@pytest.fixture
def fresh_database() -> Any:
    """An empty database next to the test database, dropped afterwards."""
    import psycopg

    base = dict(connection.settings_dict)
    name = f"{base['NAME']}_restore"[:63]
    admin = backups.Target({**base, "NAME": "postgres"})

    def run(sql: str) -> None:
        with admin.pg_connect() as conn:
            conn.autocommit = True
            conn.execute(sql)

    quoted = psycopg.sql.Identifier(name).as_string()
    run(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
    run(f"CREATE DATABASE {quoted}")
    yield backups.Target({**base, "NAME": name})
    run(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")


@pytest.mark.postgres
@postgres_only
def test_round_trip_into_a_fresh_postgresql_database(
    transactional_db, tmp_path, workdir, fresh_database, record_property
):
    from kindred.core.testing import build_cast

    data(build_cast())
    source = backups.default_target()
    archive = tmp_path / "a.kbak"
    made = backups.backup(archive)
    restored = backups.restore(archive, target=fresh_database)
    before = backups.table_digests(source)
    after = backups.table_digests(fresh_database)
    assert sorted(after) == sorted(before)
    differing = [table for table in before if before[table] != after[table]]
    assert differing == []
    assert restored.rows == made.rows == sum(int(d.split(":")[0]) for d in before.values())
    assert made.rows > 100
    assert list(workdir.iterdir()) == []
    figures = {"backup": made.as_dict(), "restore": restored.as_dict()}
    record_property("backup_figures", json.dumps(figures))
    print("BACKUP_FIGURES", json.dumps(figures))  # noqa: T201
    # A second restore into the now non-empty copy is refused; --force replaces it.
    with pytest.raises(backups.BackupError, match="not empty"):
        backups.restore(archive, target=fresh_database)
    backups.restore(archive, target=fresh_database, force=True)
    assert backups.table_digests(fresh_database) == before


@pytest.mark.postgres
@postgres_only
def test_a_tampered_archive_leaves_a_fresh_database_empty(
    transactional_db, cast, tmp_path, fresh_database, workdir
):
    archive = tmp_path / "a.kbak"
    backups.backup(archive)
    flip(archive, archive.stat().st_size - 10)  # inside the trailer
    with pytest.raises(backups.ArchiveRefused):
        backups.restore(archive, target=fresh_database)
    assert backups.is_empty(fresh_database)
    assert list(workdir.iterdir()) == []
