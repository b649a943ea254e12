"""A fixed-window rate limit in the shared cache (e.g. Test Server presses per admin)."""

import time

from django.core.cache import cache


def allow(key: str, limit: int = 5, per_seconds: int = 60) -> bool:
    """True if this call is within `limit` calls for `key` in the current window."""
    window = int(time.time() // per_seconds)
    bucket = f"ratelimit:{key}:{window}"
    cache.add(bucket, 0, timeout=per_seconds + 1)
    try:
        count = cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.set(bucket, 1, timeout=per_seconds + 1)
        count = 1
    return count <= limit
