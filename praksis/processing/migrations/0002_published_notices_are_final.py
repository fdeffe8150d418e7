"""A published notice version says forever what it said: triggers refuse deleting a
NoticeText and changing its content, digest or version link (only ``announced_at`` /
``announced_count``, the note that clients were told, may change), on PostgreSQL and
SQLite; only the sanctioned purge path (praksis.core.db) gets through.
"""

from django.db import migrations

from praksis.core.db import append_only_sql, drop_append_only_sql
from praksis.core.operations import RunSQLFor

TABLE = "processing_noticetext"
FROZEN = ("content", "digest", "notice_id", "clinic_id", "material")

POSTGRES = append_only_sql(
    TABLE,
    vendor="postgresql",
    frozen_condition="TG_OP = 'DELETE' OR "
    + " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FROZEN),
)
SQLITE = [
    f"""
    CREATE TRIGGER {TABLE}_append_only_update BEFORE UPDATE OF {", ".join(FROZEN)} ON {TABLE}
    FOR EACH ROW WHEN praksis_purge_allowed() = 0
    BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: UPDATE refused'); END;
    """,
    f"""
    CREATE TRIGGER {TABLE}_append_only_delete BEFORE DELETE ON {TABLE}
    FOR EACH ROW WHEN praksis_purge_allowed() = 0
    BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: DELETE refused'); END;
    """,
]


class Migration(migrations.Migration):
    dependencies = [("processing", "0001_record_register_notice_text")]

    operations = [
        RunSQLFor(
            "postgresql", POSTGRES, reverse_sql=drop_append_only_sql(TABLE, vendor="postgresql")
        ),
        RunSQLFor("sqlite", SQLITE, reverse_sql=drop_append_only_sql(TABLE, vendor="sqlite")),
    ]
