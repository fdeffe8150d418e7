"""A recorded disclosure is final: a correction is a new row, never an edit.

Triggers on PostgreSQL and SQLite refuse UPDATE and DELETE of disclosures and of their
links to journal entries. Only the sanctioned purge path of the retention engine gets
through (praksis.core.db).
"""

from django.db import migrations

from praksis.core.db import append_only_sql, drop_append_only_sql
from praksis.core.operations import RunSQLFor

TABLES = ["disclosures_disclosure", "disclosures_disclosure_journal_entries"]


class Migration(migrations.Migration):
    dependencies = [("disclosures", "0001_disclosure_log")]

    operations = [
        RunSQLFor(
            vendor,
            [sql for table in TABLES for sql in append_only_sql(table, vendor=vendor)],
            reverse_sql=[
                sql for table in TABLES for sql in drop_append_only_sql(table, vendor=vendor)
            ],
        )
        for vendor in ("postgresql", "sqlite")
    ]
