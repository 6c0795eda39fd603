"""Writing payloads into every covered field of every row.

The test is about output encoding, so values go straight into the rows (a queryset
``update``; per row where a unique constraint needs distinct values or an encrypted
column needs each row's own associated data) and skip the input validation a form or
serializer would do, except that a value never exceeds the column's ``max_length`` (what
PostgreSQL's ``varchar(n)`` would refuse) and e-mail and URL fields get values their
validators accept. Encrypted fields are written encrypted, as the app writes them.

Some tables refuse UPDATE in the database itself (signed notes, addenda, published
agreements and signatures, posted charges, the audit log). The fill switches those
triggers off for its own writes and back on before anything is read (SQLite: the
triggers are dropped and re-created from their saved SQL; PostgreSQL: the transaction's
``session_replication_role`` is ``replica`` for the fill, which needs a superuser, as
the test database's owner is), all inside one transaction; this only ever runs in a
throwaway test database. Audit events get new rows instead (their queryset
refuses ``update`` in Python too).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import IntegrityError, connection, models, transaction

from kindred.audit.models import AuditEvent, Category
from kindred.core.crypto import Ciphertext, EncryptedTextField, encrypt
from kindred.security.xss import corpus
from kindred.security.xss.fields import FreeTextField

ROW_SUFFIX = 8  # room kept for " r<row>" in unique fields


@dataclass(frozen=True)
class Placed:
    field: FreeTextField
    payloads: tuple[int, ...]
    rows: int
    refused: str = ""  # the database refused the value (a CHECK constraint on its format)


def _rotation(field: FreeTextField, round_no: int) -> int:
    pool = field.pool_indexes
    # Consecutive fields start at different payloads, and each round moves every field on
    # by more than one value holds, so rounds add payloads rather than repeat them.
    return (field.index * 5 + round_no * 11) % len(pool)


def value_for(
    field: FreeTextField, round_no: int, *, per_row: bool = False
) -> tuple[tuple[int, ...], str]:
    capacity = field.max_length
    if capacity is not None and per_row and field.pool in ("text", "line"):
        # Room for " r<row>" when the field is long enough to spare it; a short one gets
        # its payloads in the first row only.
        capacity -= ROW_SUFFIX if capacity >= 40 else 0
    chosen = corpus.pack(field.pool_indexes, capacity, _rotation(field, round_no))
    return tuple(chosen), corpus.value(field.index, chosen, line=field.pool == "line")


def _row_value(field: FreeTextField, text: str, row: int, per_row: bool) -> str | None:
    """The value for one row; None leaves the row as it is (no room for a distinct one)."""
    if not per_row or row == 0:
        return text
    if field.pool == "email":
        local, _, domain = text.rpartition("@")
        return f"{local}@r{row}.{domain}"
    distinct = f"{text} r{row}"
    return distinct if field.max_length is None or len(distinct) <= field.max_length else None


def _audit_rows(field: FreeTextField, text: str) -> int:
    # A person's e-mail (or name) copied into the log: new rows, as the app would append.
    for category in (Category.ACCESS, Category.CHANGE):
        AuditEvent.objects.create(
            **{field.name: text},
            category=category,
            action="security.xss.probe",
            detail={"note": text},
        )
    return 2


def fill_field(field: FreeTextField, round_no: int, *, per_row: bool = False) -> Placed:
    """``per_row``: each row gets its own value (a unique constraint the model does not
    declare as a plain field list, e.g. one on an expression, refused one value for all)."""
    per_row = per_row or field.unique
    chosen, text = value_for(field, round_no, per_row=per_row)
    if not chosen:
        return Placed(field, (), 0)
    model = field.model
    if model is AuditEvent:
        return Placed(field, chosen, _audit_rows(field, text))
    manager = model._base_manager
    if not per_row and not field.encrypted:
        return Placed(field, chosen, manager.all().update(**{field.name: text}))
    column: models.Field = model._meta.get_field(field.name)  # type: ignore[type-arg,assignment]
    rows = 0
    for row, obj in enumerate(manager.order_by("pk").iterator()):
        content = _row_value(field, text, row, per_row)
        if content is None:
            continue
        if isinstance(column, EncryptedTextField):
            stored: str = Ciphertext(encrypt(content, aad=column.aad_for(obj)))
        else:
            stored = content
        rows += manager.filter(pk=obj.pk).update(**{field.name: stored})
    return Placed(field, chosen, rows)


@contextmanager
def triggers_off(tables: set[str]) -> Iterator[None]:
    """Without the database's refuse-UPDATE triggers on ``tables`` inside the block."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
            saved = [(n, t, sql) for n, t, sql in cursor.fetchall() if t in tables]
            for name, _table, _sql in saved:
                cursor.execute(f'DROP TRIGGER "{name}"')
            try:
                yield
            finally:
                for _name, _table, sql in saved:
                    cursor.execute(sql)
        elif connection.vendor == "postgresql":
            # Triggers (the refuse-UPDATE ones) do not fire for a replica session; the
            # setting is local to the transaction and put back before anything is read.
            cursor.execute("SET LOCAL session_replication_role = replica")
            try:
                yield
            finally:
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        else:
            yield


def _fill_or_refused(field: FreeTextField, round_no: int) -> Placed:
    try:
        with transaction.atomic():
            return fill_field(field, round_no)
    except IntegrityError as exc:
        if "unique" not in str(exc).lower():
            return Placed(field, (), 0, refused=str(exc)[:200])
    try:
        with transaction.atomic():
            return fill_field(field, round_no, per_row=True)
    except IntegrityError as exc:
        return Placed(field, (), 0, refused=str(exc)[:200])


def fill(fields: list[FreeTextField], round_no: int) -> list[Placed]:
    """Payloads into every covered field, in one transaction; a field whose value the
    database refuses (a CHECK constraint on its format) keeps its old value and is
    reported."""
    tables = {f.model._meta.db_table for f in fields if f.model is not AuditEvent}
    with transaction.atomic(), triggers_off(tables):
        return [_fill_or_refused(field, round_no) for field in fields]
