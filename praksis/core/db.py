"""Database guarantees shared by the append-only tables (access log, journal).

Triggers refuse UPDATE and DELETE on append-only rows on PostgreSQL and SQLite alike.
The one sanctioned way round them is :func:`purge_allowed`, used by the retention
engine (and by the test suite's flush between tests). On PostgreSQL it sets a
transaction-local setting the triggers read; on SQLite the triggers call a function
that exists only on the application's own connections, so a plain ``sqlite3`` shell
cannot delete rows either.
"""

from __future__ import annotations

import contextlib
import threading

from django.db import connection as default_connection
from django.db.backends.signals import connection_created
from django.dispatch import receiver

_state = threading.local()


def _purge_flag() -> int:
    return 1 if getattr(_state, "purge", False) else 0


@receiver(connection_created)
def _register_sqlite_functions(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "praksis_purge_allowed", 0, _purge_flag, deterministic=False
        )


@contextlib.contextmanager
def purge_allowed(connection=None):
    """Allow deleting append-only rows inside this block (retention and test flush only)."""
    conn = connection or default_connection
    if getattr(_state, "purge", False):  # nested: the outer block keeps the permission
        yield
        return
    _state.purge = True
    try:
        if conn.vendor == "postgresql":
            with conn.cursor() as cursor:
                cursor.execute("SELECT set_config('praksis.purge', 'on', false)")
        yield
    finally:
        _state.purge = False
        if conn.vendor == "postgresql" and conn.connection is not None:
            with conn.cursor() as cursor:
                cursor.execute("SELECT set_config('praksis.purge', 'off', false)")


def append_only_sql(table: str, *, vendor: str, frozen_condition: str = "1=1") -> list[str]:
    """SQL creating triggers that refuse UPDATE/DELETE of rows matching ``frozen_condition``.

    ``frozen_condition`` is written against ``OLD`` (e.g. ``OLD.signed_at IS NOT NULL``).
    """
    name = f"{table}_append_only"
    if vendor == "postgresql":
        return [
            f"""
            CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
            BEGIN
                IF coalesce(current_setting('praksis.purge', true), 'off') = 'on' THEN
                    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
                END IF;
                IF TG_OP = 'TRUNCATE' THEN
                    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
                        USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                IF {frozen_condition} THEN
                    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                        USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
            END;
            $$ LANGUAGE plpgsql;
            """,
            f"CREATE TRIGGER {name}_row BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}();",
            f"CREATE TRIGGER {name}_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}();",
        ]
    if vendor == "sqlite":
        return [
            f"""
            CREATE TRIGGER {name}_{op.lower()} BEFORE {op} ON {table}
            FOR EACH ROW WHEN ({frozen_condition}) AND praksis_purge_allowed() = 0
            BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END;
            """
            for op in ("UPDATE", "DELETE")
        ]
    raise ValueError(vendor)


def drop_append_only_sql(table: str, *, vendor: str) -> list[str]:
    name = f"{table}_append_only"
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {name}_row ON {table};",
            f"DROP TRIGGER IF EXISTS {name}_truncate ON {table};",
            f"DROP FUNCTION IF EXISTS {name}();",
        ]
    return [f"DROP TRIGGER IF EXISTS {name}_update;", f"DROP TRIGGER IF EXISTS {name}_delete;"]
