"""Tokens-per-minute limits per API token, shared through Django's cache like the RPM limit
(gateway_admin/usage/ratelimit.py), as a sliding-window estimate over the current and the previous
minute: tokens are known only after a call, so they are added afterwards and checked before the next.

`atpm_check` before a call reads the token's estimate over the sliding minute; `tpm_add` (called
by `aspend_record`) adds the call's input + output tokens once they are known. A call is admitted
while the estimate is under the limit, so a minute can pass the limit by the tokens of the calls
admitted last; the next ones wait. Redis (REDIS_URL) shares the counters between processes; the
local-memory cache of the embedded mode holds them per process.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from django.core.cache import caches

from gateway_admin.usage.ratelimit import CACHE_ALIAS, WINDOW

# A window's counter is read during the next window too (the sliding estimate), then dropped.
KEY_TTL = int(2 * WINDOW) + 5


def retry_after_seconds(*, limit: int, previous: int, current: int, elapsed: float) -> float:
    """Seconds until the estimate `previous * (1 - elapsed / WINDOW) + current` falls under `limit`."""
    if current >= limit:
        # Not within this window: in the next one `current` becomes the previous window's count.
        return (WINDOW - elapsed) + max(0.0, WINDOW * (1 - limit / current))
    if previous <= 0:
        return 0.0
    return max(0.0, WINDOW * (1 - (limit - current) / previous) - elapsed)


def _key(token_id: int, window: int) -> str:
    return f"v1:tpm:{token_id}:{window}"


def tpm_add(token_id: int, tokens: int, *, clock: Callable[[], float] = time.time) -> None:
    """Count `tokens` in the token's current minute."""
    if tokens <= 0:
        return
    cache = caches[CACHE_ALIAS]
    key = _key(token_id, math.floor(clock() / WINDOW))
    try:
        cache.incr(key, tokens)
    except ValueError:
        if not cache.add(key, tokens, timeout=KEY_TTL):
            cache.incr(key, tokens)


def tpm_check(token_id: int, tpm_limit: int, *, clock: Callable[[], float] = time.time) -> float | None:
    """None when the token is under its limit, else the seconds to wait."""
    cache = caches[CACHE_ALIAS]
    now = clock()
    window = math.floor(now / WINDOW)
    elapsed = now - window * WINDOW
    cur_key, prev_key = _key(token_id, window), _key(token_id, window - 1)
    got = cache.get_many([cur_key, prev_key])
    current, previous = int(got.get(cur_key) or 0), int(got.get(prev_key) or 0)
    if previous * (1 - elapsed / WINDOW) + current < tpm_limit:
        return None
    return retry_after_seconds(limit=tpm_limit, previous=previous, current=current, elapsed=elapsed)


async def atpm_check(*, token_id: int, tpm_limit: int) -> float | None:
    """`tpm_check` inline: one cache read (local memory, or one Redis round trip)."""
    return tpm_check(token_id, tpm_limit)
