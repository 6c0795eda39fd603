"""Two live sessions in one room may not overlap (PostgreSQL only).

The session services check this under a lock on the room's row; this exclusion
constraint backs the check up in the database itself. It needs the btree_gist extension
(for the ``=`` on room_id inside a GiST index), which the migration creates if it may.
Other databases (SQLite in development) rely on the services' check alone.
"""

from django.db import migrations

CONSTRAINT = "scheduling_session_room_no_overlap"

CREATE = f"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE scheduling_groupsession
  ADD CONSTRAINT {CONSTRAINT}
  EXCLUDE USING gist (room_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
  WHERE (status = 'scheduled' AND room_id IS NOT NULL);
"""

DROP = f"ALTER TABLE scheduling_groupsession DROP CONSTRAINT IF EXISTS {CONSTRAINT};"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
