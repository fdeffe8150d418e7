"""Phased updates of a breach (Art. 33(4)) are appended, never changed or deleted.

Triggers refuse UPDATE and DELETE on breaches_breachupdate on PostgreSQL and SQLite; only
the sanctioned purge path (praksis.core.db) gets through.
"""

from django.db import migrations

from praksis.core.db import append_only_sql, drop_append_only_sql
from praksis.core.operations import RunSQLFor

TABLE = "breaches_breachupdate"


class Migration(migrations.Migration):
    dependencies = [("breaches", "0001_initial")]

    operations = [
        RunSQLFor(
            vendor,
            append_only_sql(TABLE, vendor=vendor),
            reverse_sql=drop_append_only_sql(TABLE, vendor=vendor),
        )
        for vendor in ("postgresql", "sqlite")
    ]
