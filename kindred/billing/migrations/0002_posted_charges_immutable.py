"""A posted charge never changes: the database refuses UPDATE of a posted row (and on
PostgreSQL DELETE too; SQLite test runs empty tables with DELETE). Corrections are
separate adjustment charges. If a later migration alters billing_charge on SQLite,
re-create the trigger: SQLite rebuilds the table and drops it."""

from django.db import migrations

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION billing_refuse_posted_change() RETURNS trigger AS $$
BEGIN
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
PG_TRIGGER = """
CREATE TRIGGER billing_charge_posted_immutable
    BEFORE UPDATE OR DELETE ON billing_charge
    FOR EACH ROW EXECUTE FUNCTION billing_refuse_posted_change();
"""
SQLITE_TRIGGER = """
CREATE TRIGGER billing_charge_posted_no_update BEFORE UPDATE ON billing_charge
WHEN OLD.status = 'posted'
BEGIN SELECT RAISE(ABORT, 'billing_charge: posted charges are never changed'); END;
"""


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
        schema_editor.execute(PG_TRIGGER)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS billing_charge_posted_immutable ON billing_charge;"
        )
        schema_editor.execute("DROP FUNCTION IF EXISTS billing_refuse_posted_change();")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS billing_charge_posted_no_update;")


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
