"""Signed journal entries can never be changed or deleted in place — not even by SQL.

REQ-12: triggers refuse UPDATE and DELETE of a signed entry and of the attachments of a
signed entry, and refuse attaching anything to a signed entry, on PostgreSQL and SQLite.
Only the sanctioned purge path of the retention engine gets through (praksis.core.db).
"""

from django.db import migrations

from praksis.core.db import append_only_sql, drop_append_only_sql
from praksis.core.operations import RunSQLFor

ENTRIES = "journal_journalentry"
ATTACHMENTS = "journal_attachment"
PARENT_SIGNED = (
    "EXISTS (SELECT 1 FROM journal_journalentry e "
    "WHERE e.id = {row}.entry_id AND e.signed_at IS NOT NULL)"
)


class Migration(migrations.Migration):
    dependencies = [("journal", "0001_initial")]

    operations = [
        *[
            RunSQLFor(
                vendor,
                append_only_sql(ENTRIES, vendor=vendor, frozen_condition="OLD.signed_at IS NOT NULL")
                + append_only_sql(
                    ATTACHMENTS, vendor=vendor, frozen_condition=PARENT_SIGNED.format(row="OLD")
                ),
                reverse_sql=drop_append_only_sql(ENTRIES, vendor=vendor)
                + drop_append_only_sql(ATTACHMENTS, vendor=vendor),
            )
            for vendor in ("postgresql", "sqlite")
        ],
        RunSQLFor(
            "postgresql",
            [
                f"""
                CREATE OR REPLACE FUNCTION journal_attachment_to_signed() RETURNS trigger AS $$
                BEGIN
                    IF {PARENT_SIGNED.format(row="NEW")} THEN
                        RAISE EXCEPTION 'cannot attach to a signed journal entry'
                            USING ERRCODE = 'integrity_constraint_violation';
                    END IF;
                    RETURN NEW;
                END;
                $$ LANGUAGE plpgsql;
                """,
                "CREATE TRIGGER journal_attachment_to_signed BEFORE INSERT ON journal_attachment "
                "FOR EACH ROW EXECUTE FUNCTION journal_attachment_to_signed();",
            ],
            reverse_sql=[
                "DROP TRIGGER IF EXISTS journal_attachment_to_signed ON journal_attachment;",
                "DROP FUNCTION IF EXISTS journal_attachment_to_signed();",
            ],
        ),
        RunSQLFor(
            "sqlite",
            [
                f"""
                CREATE TRIGGER journal_attachment_to_signed BEFORE INSERT ON journal_attachment
                FOR EACH ROW WHEN {PARENT_SIGNED.format(row="NEW")}
                BEGIN SELECT RAISE(ABORT, 'cannot attach to a signed journal entry'); END;
                """
            ],
            reverse_sql=["DROP TRIGGER IF EXISTS journal_attachment_to_signed;"],
        ),
    ]
