"""Requests-per-minute limits per API token, shared by every web process through Django's cache.

A sliding-window counter: one counter per token per minute (atomic `incr`, Redis INCR in
production), and the estimate `previous_minute * (1 - elapsed / 60) + this_minute` is compared to
the limit, which smooths the burst a fixed window allows at the minute boundary. A rejected call
gives its count back, so hammering does not lock a client out for longer than its real rate, and
the answer says how long to wait (Retry-After). With the local-memory cache of the embedded mode
the limit holds per process only; production uses Redis (REDIS_URL), shared by all processes.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable

from django.core.cache import caches

WINDOW = 60.0
# Long enough that the previous minute's counter is still there for the estimate.
KEY_TTL = int(WINDOW * 2) + 10
CACHE_ALIAS = "default"


def _key(token_id: int, window: int) -> str:
    return f"v1:rpm:{token_id}:{window}"


def _incr(cache, key: str) -> int:  # type: ignore[no-untyped-def]
    try:
        return int(cache.incr(key))
    except ValueError:
        # First call of this minute; `add` is atomic, so of two racing processes one creates the
        # counter and the other increments it.
        if cache.add(key, 1, timeout=KEY_TTL):
            return 1
        return int(cache.incr(key))


def retry_after_seconds(*, limit: int, previous: int, current: int, elapsed: float) -> float:
    """Seconds until one more call fits under `limit` (current = calls counted this minute)."""
    if current + 1 <= limit and previous > 0:
        # The previous minute's share decays linearly; wait until it has decayed enough.
        wait = WINDOW * (1 - (limit - current - 1) / previous) - elapsed
        if wait <= WINDOW - elapsed:
            return max(wait, 0.0)
    # Not within this minute: the next minute starts with `current` as its previous count.
    wait = WINDOW - elapsed
    if current > 0:
        wait += max(0.0, WINDOW * (1 - (limit - 1) / current))
    return wait


def hit(token_id: int, limit: int, *, clock: Callable[[], float] = time.time) -> float | None:
    """Count one call; None when it is allowed, else the seconds to wait (the call is not counted)."""
    cache = caches[CACHE_ALIAS]
    now = clock()
    window = math.floor(now / WINDOW)
    elapsed = now - window * WINDOW
    key = _key(token_id, window)
    current = _incr(cache, key)
    previous = int(cache.get(_key(token_id, window - 1)) or 0)
    estimate = previous * (1 - elapsed / WINDOW) + current
    if estimate <= limit:
        return None
    try:
        cache.decr(key)
    except ValueError:
        pass
    return retry_after_seconds(limit=limit, previous=previous, current=current - 1, elapsed=elapsed)


async def ahit(token_id: int, limit: int) -> float | None:
    """`hit` off the event loop (the cache client is blocking)."""
    return await asyncio.to_thread(hit, token_id, limit)
