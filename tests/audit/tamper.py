"""Tampering as someone who gets round the append-only triggers would (a superuser)."""

from __future__ import annotations

from django.db import connection, transaction


def tamper(sql: str, params=()) -> None:
    """Run SQL with the access log's append-only triggers out of the way."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # superuser: no triggers
            cursor.execute(sql, params)
            cursor.execute("SET session_replication_role = DEFAULT")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_accesslogentry_append_only_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_accesslogentry_append_only_delete")
            cursor.execute(sql, params)
