"""Reviews of the access log are records of a check (REQ-22): UPDATE and DELETE are refused."""

from django.db import migrations

from praksis.core.db import append_only_sql, drop_append_only_sql
from praksis.core.operations import RunSQLFor

TABLE = "audit_accessreview"


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_access_review")]

    operations = [
        RunSQLFor(
            vendor,
            append_only_sql(TABLE, vendor=vendor),
            reverse_sql=drop_append_only_sql(TABLE, vendor=vendor),
        )
        for vendor in ("postgresql", "sqlite")
    ]
