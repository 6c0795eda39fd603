"""The immutability triggers (notes, agreement signatures, posted charges) let one
deliberate purge DELETE rows: a destroyed record (kindred/datarights/purge.py) takes the
member's signed notes, addenda, absence entries, signatures and posted charges with it.

PostgreSQL only (SQLite's triggers refuse UPDATE, never DELETE). The purge sets the
transaction-local setting ``kindred.purge`` (``set_config(..., true)``) before its
deletes and empties it after them; the functions below accept DELETE while it is set
and refuse everything else exactly as before. UPDATE is never let through. The reverse
migration restores the original functions (text copied from the migrations that made
them: notes 0001, intake 0003, billing 0002)."""

from django.db import migrations

PURGING = "coalesce(current_setting('kindred.purge', true), '') <> ''"

NOTES_SIGNED = """
CREATE OR REPLACE FUNCTION notes_refuse_signed_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' AND NOT {purging} THEN
            RAISE EXCEPTION USING
                MESSAGE = TG_TABLE_NAME || ': signed notes are never deleted',
                ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> 'draft' AND NOT (
        OLD.status = 'signed' AND NEW.status = 'cosigned'
        AND (to_jsonb(NEW) - ARRAY['status', 'cosigned_at', 'cosigned_by_id', 'updated_at'])
          = (to_jsonb(OLD) - ARRAY['status', 'cosigned_at', 'cosigned_by_id', 'updated_at'])
    ) THEN
        RAISE EXCEPTION USING
            MESSAGE = TG_TABLE_NAME || ': signed notes are never changed',
            ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND {purging} THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = TG_TABLE_NAME || ' rows are never changed or deleted',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

BILLING = """
CREATE OR REPLACE FUNCTION billing_refuse_posted_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND {purging} THEN
        RETURN OLD;
    END IF;
    IF OLD.status = 'posted' THEN
        RAISE EXCEPTION USING
            MESSAGE = 'billing_charge: posted charges are never changed or deleted',
            ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def _functions(purging: str) -> list[str]:
    return [
        NOTES_SIGNED.format(purging=purging),
        APPEND_ONLY.format(name="notes_refuse_change", purging=purging),
        APPEND_ONLY.format(name="intake_refuse_change", purging=purging),
        BILLING.format(purging=purging),
    ]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in _functions(PURGING):
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    # ``false``: the original functions, which never let a DELETE through.
    if schema_editor.connection.vendor == "postgresql":
        for sql in _functions("false"):
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("datarights", "0003_closure_purge_and_legal_hold"),
        ("notes", "0001_initial"),
        ("intake", "0003_agreement_drafts_and_immutability"),
        ("billing", "0002_posted_charges_immutable"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
