"""A small fixed-window rate limit per client IP for the public endpoints.

Counts live in Django's cache (per server process with the default local-memory cache;
point CACHES at a shared cache to make the limit global).
"""

from __future__ import annotations

import time

from django.core.cache import cache


def allow(*, scope: str, key: str, limit: int, window_seconds: int = 60) -> bool:
    """Count one hit; False once ``limit`` hits were counted in the current window."""
    if limit <= 0:
        return True
    bucket = int(time.time() // window_seconds)
    cache_key = f"rl:{scope}:{key}:{bucket}"
    if cache.add(cache_key, 1, timeout=window_seconds + 1):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window_seconds + 1)
        return True
    return count <= limit
