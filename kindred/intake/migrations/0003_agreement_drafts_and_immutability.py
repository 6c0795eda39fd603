"""Agreement drafts (the next version while it is written), and published agreement
versions and signatures made unchangeable in the database itself.

PostgreSQL refuses UPDATE and DELETE on both tables. SQLite refuses UPDATE; its DELETE
stays possible only because the test framework empties tables with DELETE (the
application never deletes: the models and their querysets refuse it, and every foreign
key to these rows is PROTECT). Same pattern as audit/0002_append_only_triggers.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLES = ("intake_agreementversion", "intake_agreementsignature")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION intake_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = TG_TABLE_NAME || ' rows are never changed or deleted',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""
PG_TRIGGER = """
CREATE TRIGGER {table}_immutable
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION intake_refuse_change();
"""
PG_DROP_TRIGGER = "DROP TRIGGER IF EXISTS {table}_immutable ON {table};"
PG_DROP_FUNCTION = "DROP FUNCTION IF EXISTS intake_refuse_change();"
SQLITE_TRIGGER = """
CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} rows are never changed'); END;
"""
SQLITE_DROP = "DROP TRIGGER IF EXISTS {table}_no_update;"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
        for table in TABLES:
            schema_editor.execute(PG_TRIGGER.format(table=table))
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(SQLITE_TRIGGER.format(table=table))


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(PG_DROP_TRIGGER.format(table=table))
        schema_editor.execute(PG_DROP_FUNCTION)
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(SQLITE_DROP.format(table=table))


class Migration(migrations.Migration):

    dependencies = [
        ('intake', '0002_waitlist_status_change'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AgreementDraft',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('body', models.TextField(blank=True, max_length=20000, verbose_name='agreement text (Markdown)')),
                ('summary_of_changes', models.CharField(blank=True, max_length=500, verbose_name='what changed')),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('based_on', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='intake.agreementversion')),
                ('template', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='draft', to='intake.agreementtemplate')),
                ('updated_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
