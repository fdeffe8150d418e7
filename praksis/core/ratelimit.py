"""Fixed-window rate limits per client address for the public endpoints.

The counts live in the database (``core_ratecounter``), so every worker process and every
machine of a deployment counts together: one atomic ``INSERT ... ON CONFLICT DO UPDATE
... RETURNING`` per hit, on PostgreSQL and SQLite alike. (Django's database cache was the
other candidate; its ``incr`` reads and then writes, so two workers can both count 5 and
store 6.) The client address is the one :func:`praksis.core.middleware.client_ip`
resolves through the trusted proxies; it is stored only as a keyed hash.

A refused request is answered 429 with ``Retry-After``: the API in its error shape, a
public page by showing its form again, filled in, with :data:`MESSAGE` (see
``templates/public/base.html``).
"""

from __future__ import annotations

import math
import secrets
import time
from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from praksis.core.crypto import mac
from praksis.core.middleware import client_ip
from praksis.core.models import RateCounter

MESSAGE = _("Too many requests. Please wait a minute and try again.")
# One new window in this many also deletes the counters of windows that have ended.
PURGE_ONE_IN = 64


def _upsert_sql() -> str:
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    return (
        f"INSERT INTO {table} (bucket, hits, expires_at) VALUES (%s, 1, %s) "  # noqa: S608
        f"ON CONFLICT (bucket) DO UPDATE SET hits = {table}.hits + 1 RETURNING hits"
    )


def hit(*, scope: str, key: str, limit: int, window_seconds: int = 60) -> int:
    """Count one hit of ``key`` in ``scope``: 0 while within ``limit`` hits per window,
    else the whole seconds until the window ends (for ``Retry-After``). 0 = no limit."""
    if limit <= 0:
        return 0
    now = time.time()
    window = int(now // window_seconds)
    ends = (window + 1) * window_seconds
    bucket = mac("rate-limit", f"{scope}\x1f{key}\x1f{window_seconds}\x1f{window}")
    expires_at = connection.ops.adapt_datetimefield_value(datetime.fromtimestamp(ends, UTC))
    hits = _count(bucket, expires_at)
    if hits == 1 and secrets.randbelow(PURGE_ONE_IN) == 0:
        purge_expired()
    return 0 if hits <= limit else max(1, math.ceil(ends - now))


def _count(bucket: str, expires_at) -> int:
    """One atomic increment. On PostgreSQL, outside a transaction, its commit does not wait
    for the disk (a count lost in a crash lets a few more requests through): 0.6 ms instead
    of 3.3 ms a hit. Inside a caller's transaction the caller's durability is left alone."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.execute(_upsert_sql(), [bucket, expires_at])
            return cursor.fetchone()[0]
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(), [bucket, expires_at])
        return cursor.fetchone()[0]


def allow(*, scope: str, key: str, limit: int, window_seconds: int = 60) -> bool:
    """Count one hit; False once ``limit`` hits were counted in the current window."""
    return hit(scope=scope, key=key, limit=limit, window_seconds=window_seconds) == 0


def check(request, *, scope: str, limit: int, window_seconds: int = 60) -> int:
    """:func:`hit` for the client of ``request``: 0 to go on, else seconds to wait."""
    key = client_ip(request) or "-"
    return hit(scope=scope, key=key, limit=limit, window_seconds=window_seconds)


def refuse(response, retry_after: int):
    """Make ``response`` (typically the form shown again) a 429 with ``Retry-After``."""
    response.status_code = 429
    response["Retry-After"] = str(retry_after)
    return response


def purge_expired() -> int:
    """Delete the counters of windows that have ended."""
    deleted, _by_model = RateCounter.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
