"""PostgreSQL: byte-ordered ("C") name keys, so one B-tree serves prefix match and order."""

from django.db import migrations

from praksis.core.operations import RunSQLFor

COLUMNS = ("first_name_key", "last_name_key")


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]

    operations = [
        RunSQLFor(
            "postgresql",
            [
                f'ALTER TABLE people_person ALTER COLUMN {column} TYPE varchar(100) COLLATE "C"'
                for column in COLUMNS
            ],
            reverse_sql=[
                f"ALTER TABLE people_person ALTER COLUMN {column} TYPE varchar(100)"
                for column in COLUMNS
            ],
        ),
    ]
