"""Requests-per-minute limits per API token, shared by every web process through Django's cache.

GCRA (the generic cell rate algorithm, a leaky bucket kept as one timestamp): a token with a limit
of N per minute may make N calls at once, and one more every 60/N seconds after that, so over any
stretch of time it averages N per minute. The state is one "theoretical arrival time" per token;
a call is allowed while it is at most `60 - 60/N` seconds ahead of now. A refused call changes
nothing, and the wait it is told is exact: the moment the next call fits, never longer than the
60/N seconds a slot takes to free. The read-modify-write is serialised per token by a short lock
in the same cache (`cache.add`, Redis SET NX in production), so several processes share one
budget; with the local-memory cache of the embedded mode the limit holds per process only.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.cache import caches

WINDOW = 60.0
CACHE_ALIAS = "default"
_LOCK_SECONDS = 2  # a crashed holder's lock expires by itself
_LOCK_TRIES = 200
_LOCK_PAUSE = 0.001


def _key(token_id: int) -> str:
    return f"v1:rpm:{token_id}:tat"


@contextmanager
def _locked(cache: Any, key: str) -> Iterator[None]:
    lock = key + ":lock"
    held = False
    for _ in range(_LOCK_TRIES):
        if cache.add(lock, 1, timeout=_LOCK_SECONDS):
            held = True
            break
        time.sleep(_LOCK_PAUSE)
    # Not held after ~0.2 s: another process stalled holding it; go on rather than fail the call
    # (at worst two racing calls both fit).
    try:
        yield
    finally:
        if held:
            cache.delete(lock)


def hit(token_id: int, limit: int, *, clock: Callable[[], float] = time.time) -> float | None:
    """Count one call; None when it is allowed, else the exact seconds until it would be (the
    refused call is not counted)."""
    cache = caches[CACHE_ALIAS]
    interval = WINDOW / limit
    tolerance = WINDOW - interval  # `limit` calls at once
    key = _key(token_id)
    with _locked(cache, key):
        now = clock()
        stored = cache.get(key)
        tat = max(float(stored), now) if stored is not None else now
        ahead = tat - now
        if ahead > tolerance + 1e-9:
            return ahead - tolerance
        new_tat = tat + interval
        cache.set(key, new_tat, timeout=int(new_tat - now) + 2)
    return None


async def ahit(token_id: int, limit: int) -> float | None:
    """`hit` off the event loop (the cache client is blocking)."""
    return await asyncio.to_thread(hit, token_id, limit)
