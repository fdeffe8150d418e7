"""Database-enforced append-only access log (REQ-21): UPDATE and DELETE are refused."""

from django.db import migrations

from praksis.core.db import append_only_sql, drop_append_only_sql
from praksis.core.operations import RunSQLFor

TABLE = "audit_accesslogentry"


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_initial")]

    operations = [
        RunSQLFor(
            vendor,
            append_only_sql(TABLE, vendor=vendor),
            reverse_sql=drop_append_only_sql(TABLE, vendor=vendor),
        )
        for vendor in ("postgresql", "sqlite")
    ]
