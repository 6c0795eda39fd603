"""Encryption at rest of psychotherapy notes (SECURITY.md "Encryption"; issue 9): the raw
column never holds the text, the logs never do, nor a pg_dump; a changed byte or a
value copied into another row is an error; rotation re-encrypts with the new key while
old values stay readable until rotated; a missing key is named."""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import subprocess
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from kindred.core import crypto
from kindred.psychnotes.models import PsychotherapyNote
from kindred.psychnotes.services import psychnote_create

CANARY = "CANARY-7f3a-psychnote-plaintext"
TITLE_CANARY = "CANARY-title-91c2"


def key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def write(cast, body: str = CANARY, title: str = TITLE_CANARY) -> PsychotherapyNote:
    return psychnote_create(actor=cast.facilitator, client=cast.client, title=title, body=body)


def raw(note_id: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT title, body FROM psychnotes_psychotherapynote WHERE id = %s", [note_id]
        )
        row = cursor.fetchone()
    assert row is not None
    return row[0], row[1]


def raw_write(note_id: int, column: str, value: str) -> None:
    assert column in {"title", "body"}
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE psychnotes_psychotherapynote SET {column} = %s WHERE id = %s",  # noqa: S608
            [value, note_id],
        )


def test_round_trip_through_the_database(cast):
    note = write(cast)
    again = PsychotherapyNote.objects.get(pk=note.pk)
    assert again.body == CANARY
    assert again.title == TITLE_CANARY


def test_the_raw_columns_hold_no_plaintext(cast):
    note = write(cast)
    title, body = raw(note.pk)
    for column, plain in ((title, TITLE_CANARY), (body, CANARY)):
        assert plain not in column
        assert "CANARY" not in column
        assert crypto.key_id_of(column) == crypto.DEV_KEY_ID


def test_no_plaintext_in_the_logs_with_sql_logging_on(cast, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("django.db.backends").setLevel(logging.DEBUG)
    connection.force_debug_cursor = True
    try:
        note = write(cast)
        again = PsychotherapyNote.objects.get(pk=note.pk)
        assert again.body == CANARY
        logging.getLogger("kindred.test").info("note %r %s", again, again)
        note.body = CANARY + " edited"
        note.save()
    finally:
        connection.force_debug_cursor = False
        logging.getLogger("django.db.backends").setLevel(logging.WARNING)
    assert "psychnotes_psychotherapynote" in caplog.text  # the SQL was logged...
    assert "CANARY" not in caplog.text  # ...never the text


def test_a_flipped_byte_in_the_column_is_an_error_not_garbage(cast):
    note = write(cast)
    _, body = raw(note.pk)
    blob = bytearray(base64.urlsafe_b64decode(body))
    blob[-5] ^= 0x40
    raw_write(note.pk, "body", base64.urlsafe_b64encode(bytes(blob)).decode())
    again = PsychotherapyNote.objects.get(pk=note.pk)
    assert again.title == TITLE_CANARY  # the other column is intact
    with pytest.raises(crypto.DecryptionError, match="integrity check"):
        _ = again.body


def test_a_ciphertext_copied_into_another_row_or_column_fails(cast):
    mine = write(cast, body="first note")
    other = write(cast, body="second note")
    _, body = raw(mine.pk)
    raw_write(other.pk, "body", body)
    with pytest.raises(crypto.DecryptionError):
        _ = PsychotherapyNote.objects.get(pk=other.pk).body
    raw_write(mine.pk, "title", body)
    with pytest.raises(crypto.DecryptionError):
        _ = PsychotherapyNote.objects.get(pk=mine.pk).title


def test_plaintext_never_reaches_the_column_by_another_path(cast):
    note = write(cast)
    with pytest.raises(crypto.PlaintextRefused):
        PsychotherapyNote.objects.filter(pk=note.pk).update(body="leaked through update")
    with pytest.raises(crypto.PlaintextRefused):
        PsychotherapyNote.objects.filter(body=CANARY).exists()
    note.body = "through bulk_update"
    with pytest.raises(crypto.PlaintextRefused):
        PsychotherapyNote.objects.bulk_update([note], ["body"])


def test_unread_values_are_saved_back_unchanged(cast):
    note = write(cast)
    _, before = raw(note.pk)
    again = PsychotherapyNote.objects.get(pk=note.pk)
    again.save(update_fields=["body", "updated_at"])  # body never read
    assert raw(note.pk)[1] == before


def test_rotation_re_encrypts_with_the_new_key_and_old_values_stay_readable(cast, settings):
    old, new = key(), key()
    settings.KINDRED_FIELD_KEYS = f"old:{old}"
    notes = [write(cast, body=f"{CANARY} {i}") for i in range(5)]
    assert {crypto.key_id_of(raw(n.pk)[1]) for n in notes} == {"old"}

    # The new key goes in front: new writes use it, old values still read.
    settings.KINDRED_FIELD_KEYS = f"new:{new},old:{old}"
    assert PsychotherapyNote.objects.get(pk=notes[0].pk).body == f"{CANARY} 0"
    fresh = write(cast, body="written after the new key")
    assert crypto.key_id_of(raw(fresh.pk)[1]) == "new"

    out = StringIO()
    call_command("rotate_keys", "--dry-run", "--json", stdout=out, stderr=StringIO())
    report = json.loads(out.getvalue())["models"]["psychnotes.PsychotherapyNote"]
    assert report["rotated"] == 10  # five notes, title and body
    assert {crypto.key_id_of(raw(n.pk)[1]) for n in notes} == {"old"}  # dry run: nothing

    out = StringIO()
    call_command("rotate_keys", "--batch-size", "2", "--json", stdout=out, stderr=StringIO())
    report = json.loads(out.getvalue())["models"]["psychnotes.PsychotherapyNote"]
    assert report == {"rows": 6, "rotated": 10, "current": 2}
    assert {crypto.key_id_of(raw(n.pk)[1]) for n in notes} == {"new"}

    # Run again (resuming is running again): nothing left to do.
    out = StringIO()
    call_command("rotate_keys", "--json", stdout=out, stderr=StringIO())
    assert json.loads(out.getvalue())["models"]["psychnotes.PsychotherapyNote"] == {
        "rows": 6,
        "current": 12,
    }

    # The old key can go now.
    settings.KINDRED_FIELD_KEYS = f"new:{new}"
    assert [PsychotherapyNote.objects.get(pk=n.pk).body for n in notes] == [
        f"{CANARY} {i}" for i in range(5)
    ]
    assert "CANARY" not in out.getvalue()


def test_rotation_never_overwrites_an_edit_saved_meanwhile(cast, settings):
    from collections import Counter

    from kindred.core.management.commands.rotate_keys import _rotate_value

    old, new = key(), key()
    settings.KINDRED_FIELD_KEYS = f"old:{old}"
    note = write(cast, body="before")
    row: dict[str, Any] = dict(
        PsychotherapyNote.objects.values("pk", "uid", "body").get(pk=note.pk)
    )
    settings.KINDRED_FIELD_KEYS = f"new:{new},old:{old}"
    edited = PsychotherapyNote.objects.get(pk=note.pk)
    edited.body = "edited while rotating"
    edited.save()
    counts: Counter[str] = Counter()
    field = PsychotherapyNote._meta.get_field("body")
    assert isinstance(field, crypto.EncryptedTextField)
    _rotate_value(
        PsychotherapyNote, field, row, ring=crypto.keyring(), dry_run=False, counts=counts
    )
    assert counts == Counter({"changed_meanwhile": 1})
    assert PsychotherapyNote.objects.get(pk=note.pk).body == "edited while rotating"


def test_a_missing_key_is_a_clear_error_and_rotation_reports_it(cast, settings):
    settings.KINDRED_FIELD_KEYS = f"gone:{key()}"
    note = write(cast)
    settings.KINDRED_FIELD_KEYS = f"new:{key()}"
    with pytest.raises(crypto.MissingKeyError, match="key 'gone', which is not in"):
        _ = PsychotherapyNote.objects.get(pk=note.pk).body
    from django.core.management.base import CommandError

    out = StringIO()
    with pytest.raises(CommandError, match="could not be decrypted"):
        call_command("rotate_keys", stdout=out, stderr=StringIO())
    assert "2 unreadable" in out.getvalue()
    assert raw(note.pk)[1]  # left as it was


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="pg_dump reads a PostgreSQL database; SQLite has no dump of the same kind",
)
def test_no_plaintext_in_a_pg_dump(cast):
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    note = write(cast)
    assert PsychotherapyNote.objects.get(pk=note.pk).body == CANARY
    params = connection.get_connection_params()
    env = {**os.environ}
    if params.get("password"):
        env["PGPASSWORD"] = str(params["password"])
    args = [pg_dump, "--data-only", "--table=psychnotes_psychotherapynote"]
    for flag, name in (("-h", "host"), ("-p", "port"), ("-U", "user")):
        if params.get(name):
            args += [flag, str(params[name])]
    args.append(str(params["dbname"]))
    dump = subprocess.run(args, capture_output=True, text=True, env=env, check=True).stdout  # noqa: S603
    assert str(note.uid) in dump  # the row is in the dump...
    assert "CANARY" not in dump  # ...its text is not
