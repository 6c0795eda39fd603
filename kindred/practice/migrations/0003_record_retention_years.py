"""The retention period moves from a setting to the practice profile. An existing
practice keeps what the deployment's setting said (``KINDRED_RECORD_RETENTION_YEARS``),
so upgrading changes no practice's period."""

from django.conf import settings
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def from_setting(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    years = getattr(settings, "KINDRED_RECORD_RETENTION_YEARS", None)
    if years is None:
        return
    practice = apps.get_model("practice", "Practice")
    practice.objects.using(schema_editor.connection.alias).update(
        record_retention_years=max(1, min(100, int(years)))
    )


class Migration(migrations.Migration):
    dependencies = [("practice", "0002_reminder_preferences")]

    operations = [
        migrations.AddField(
            model_name="practice",
            name="record_retention_years",
            field=models.PositiveSmallIntegerField(
                default=7,
                help_text=(
                    "Check your states' record-keeping law; seven years covers most states' "
                    "rules for adults. Applies to accounts closed from now on."
                ),
                verbose_name="keep clinical records (years after an account closes)",
            ),
        ),
        migrations.AddConstraint(
            model_name="practice",
            constraint=models.CheckConstraint(
                condition=models.Q(record_retention_years__gte=1, record_retention_years__lte=100),
                name="practice_record_retention_range",
            ),
        ),
        migrations.RunPython(from_setting, migrations.RunPython.noop),
    ]
