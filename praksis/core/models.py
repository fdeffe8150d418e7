"""Tables of the core: the rate-limit counters shared by every worker and machine."""

from __future__ import annotations

from django.db import models


class RateCounter(models.Model):
    """Hits of one client on one kind of public endpoint in one fixed window.

    ``bucket`` is a keyed hash of (scope, client address, window), so the table holds no
    address in clear; ``expires_at`` is the end of the window (rows past it are purged
    by :mod:`praksis.core.ratelimit` as it goes). Incremented with one atomic upsert.
    """

    bucket = models.CharField(max_length=64, primary_key=True)
    hits = models.PositiveIntegerField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.bucket[:8]}: {self.hits}"
