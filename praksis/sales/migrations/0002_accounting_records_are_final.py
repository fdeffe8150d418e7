"""Issued invoices are accounting records (LAW.md REQ-06/07): final, and never deleted.

Triggers on PostgreSQL and SQLite refuse:

* any UPDATE or DELETE of invoice lines, payments, instalment plans and instalments;
* deleting an invoice, or changing its number, kind, dates, seller, amounts or links;
  only the payment state (``paid_total``, ``status``) may change, and — when the buyer
  is erased — the buyer's name and address (only together with ``pseudonymised_at``)
  and the person link (only to NULL).

Only the sanctioned purge path of the retention engine gets through (praksis.core.db).
"""

from django.db import migrations

from praksis.core.db import append_only_sql, drop_append_only_sql
from praksis.core.operations import RunSQLFor

APPEND_ONLY = ["sales_invoiceline", "sales_payment", "sales_instalmentplan", "sales_instalment"]
FROZEN = [
    "clinic_id", "number", "kind", "order_id", "credits_id", "issued_at", "due_date",
    "currency", "seller_name", "seller_org_number", "seller_address", "reason",
    "net_total", "vat_total", "total", "issued_by_user_id",
]  # fmt: skip


def _changed(columns, op="IS DISTINCT FROM"):
    return " OR ".join(f"NEW.{c} {op} OLD.{c}" for c in columns)


PG_INVOICE = [
    f"""
    CREATE OR REPLACE FUNCTION sales_invoice_final() RETURNS trigger AS $$
    BEGIN
        IF coalesce(current_setting('praksis.purge', true), 'off') = 'on' THEN
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END IF;
        IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
            RAISE EXCEPTION 'sales_invoice is an accounting record: % refused', TG_OP
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF {_changed(FROZEN)} THEN
            RAISE EXCEPTION 'an issued invoice cannot be changed (issue a credit note)'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NEW.person_id IS NOT NULL AND NEW.person_id IS DISTINCT FROM OLD.person_id THEN
            RAISE EXCEPTION 'an invoice''s buyer cannot be changed'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NEW.pseudonymised_at IS NULL
           AND ({_changed(["buyer_name", "buyer_address"])}) THEN
            RAISE EXCEPTION 'an invoice''s buyer cannot be changed'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    "CREATE TRIGGER sales_invoice_final_row BEFORE UPDATE OR DELETE ON sales_invoice "
    "FOR EACH ROW EXECUTE FUNCTION sales_invoice_final();",
    "CREATE TRIGGER sales_invoice_final_truncate BEFORE TRUNCATE ON sales_invoice "
    "FOR EACH STATEMENT EXECUTE FUNCTION sales_invoice_final();",
]
PG_INVOICE_DROP = [
    "DROP TRIGGER IF EXISTS sales_invoice_final_row ON sales_invoice;",
    "DROP TRIGGER IF EXISTS sales_invoice_final_truncate ON sales_invoice;",
    "DROP FUNCTION IF EXISTS sales_invoice_final();",
]
SQLITE_INVOICE = [
    f"""
    CREATE TRIGGER sales_invoice_final_update BEFORE UPDATE ON sales_invoice
    FOR EACH ROW WHEN praksis_purge_allowed() = 0 AND (
        {_changed(FROZEN, "IS NOT")}
        OR (NEW.person_id IS NOT NULL AND NEW.person_id IS NOT OLD.person_id)
        OR (NEW.pseudonymised_at IS NULL
            AND ({_changed(["buyer_name", "buyer_address"], "IS NOT")}))
    )
    BEGIN SELECT RAISE(ABORT, 'an issued invoice cannot be changed (issue a credit note)'); END;
    """,
    """
    CREATE TRIGGER sales_invoice_final_delete BEFORE DELETE ON sales_invoice
    FOR EACH ROW WHEN praksis_purge_allowed() = 0
    BEGIN SELECT RAISE(ABORT, 'sales_invoice is an accounting record: DELETE refused'); END;
    """,
]
SQLITE_INVOICE_DROP = [
    "DROP TRIGGER IF EXISTS sales_invoice_final_update;",
    "DROP TRIGGER IF EXISTS sales_invoice_final_delete;",
]


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [
        *[
            RunSQLFor(
                vendor,
                [sql for table in APPEND_ONLY for sql in append_only_sql(table, vendor=vendor)],
                reverse_sql=[
                    sql for table in APPEND_ONLY for sql in drop_append_only_sql(table, vendor=vendor)
                ],
            )
            for vendor in ("postgresql", "sqlite")
        ],
        RunSQLFor("postgresql", PG_INVOICE, reverse_sql=PG_INVOICE_DROP),
        RunSQLFor("sqlite", SQLITE_INVOICE, reverse_sql=SQLITE_INVOICE_DROP),
    ]
