"""What a group agreement says becomes of a leaving member's group-space posts, on the
version (fixed once published, like its text) and on the draft.

SQLite adds a NOT NULL column by rebuilding the table, which drops the table's
no-update trigger (0003); it is put back here. PostgreSQL adds the column in place
(its triggers stay; no row is updated)."""

from django.db import migrations, models

SQLITE_TRIGGER = """
CREATE TRIGGER intake_agreementversion_no_update BEFORE UPDATE ON intake_agreementversion
BEGIN SELECT RAISE(ABORT, 'intake_agreementversion rows are never changed'); END;
"""


def restore_sqlite_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS intake_agreementversion_no_update;")
        schema_editor.execute(SQLITE_TRIGGER)


class Migration(migrations.Migration):

    dependencies = [
        ('intake', '0006_waitlist_queue_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='agreementdraft',
            name='posts_when_leaving',
            field=models.CharField(choices=[('anonymize', 'They stay, shown as written by “A former member”'), ('keep', "They stay under the member's display name")], default='anonymize', max_length=10, verbose_name='posts of a member who closes their account'),
        ),
        migrations.AddField(
            model_name='agreementversion',
            name='posts_when_leaving',
            field=models.CharField(choices=[('anonymize', 'They stay, shown as written by “A former member”'), ('keep', "They stay under the member's display name")], default='anonymize', max_length=10, verbose_name='posts of a member who closes their account'),
        ),
        migrations.RunPython(restore_sqlite_trigger, restore_sqlite_trigger),
    ]
