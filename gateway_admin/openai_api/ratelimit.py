"""Requests-per-minute limits per API token, shared by every web process through Django's cache.

A sliding-window counter: one counter per token per minute (atomic `incr`, Redis INCR in
production), and the estimate `previous_minute * (1 - elapsed / 60) + this_minute` is compared to
the limit, which smooths the burst a fixed window allows at the minute boundary. A rejected call
gives its count back, so hammering does not lock a client out for longer than its real rate, and
the answer says how long to wait (Retry-After). With the local-memory cache of the embedded mode
the limit holds per process only; production uses Redis (REDIS_URL), shared by all processes.

Far from the limit, `ahit` does not pay a cache round trip (and a thread hop) per call: a process
that has read the shared estimate recently (2 x SYNC_SECONDS) and sees it below half the limit
counts calls locally; every SYNC_SECONDS it adds them to the shared counter in one `incr(n)` and
reads the estimate again, and a batch of BATCH_SHARE of the limit is counted at once. Near the limit (estimate plus local
calls at half of it or more), and for any limit below 1/BATCH_SHARE = 20 per minute, every call
is counted in the cache and decided exactly, as before. The shared count so lags by at most one
batch per process for a fraction of a second while it is below half the limit, and the decision
near the limit is exact. Measured with bench/upstream_bench.py on Redis: this round trip was 25%
of a worker's profile samples (plus 5% thread-pool hops) at 50 connections.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable

from django.core.cache import caches

WINDOW = 60.0
# Long enough that the previous minute's counter is still there for the estimate.
KEY_TTL = int(WINDOW * 2) + 10
CACHE_ALIAS = "default"

logger = logging.getLogger(__name__)


def _key(token_id: int, window: int) -> str:
    return f"v1:rpm:{token_id}:{window}"


def _incr(cache, key: str, delta: int = 1) -> int:  # type: ignore[no-untyped-def]
    try:
        return int(cache.incr(key, delta))
    except ValueError:
        # First call of this minute; `add` is atomic, so of two racing processes one creates the
        # counter and the other increments it.
        if cache.add(key, delta, timeout=KEY_TTL):
            return delta
        return int(cache.incr(key, delta))


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


def hit(token_id: int, limit: int, *, clock: Callable[[], float] = time.time, earlier: int = 0) -> float | None:
    """Count one call; None when it is allowed, else the seconds to wait (the call is not counted).
    `earlier`: calls already allowed locally in this minute and not yet counted (see `ahit`)."""
    return _hit(token_id, limit, clock(), earlier)[0]


def _hit(token_id: int, limit: int, now: float, earlier: int) -> tuple[float | None, float]:
    """`hit`, also returning the estimate it decided on (the calls of the sliding minute)."""
    cache = caches[CACHE_ALIAS]
    window = math.floor(now / WINDOW)
    elapsed = now - window * WINDOW
    key = _key(token_id, window)
    current = _incr(cache, key, earlier + 1)
    previous = int(cache.get(_key(token_id, window - 1)) or 0)
    estimate = previous * (1 - elapsed / WINDOW) + current
    if estimate <= limit:
        return None, estimate
    try:
        cache.decr(key)
    except ValueError:
        pass
    return retry_after_seconds(limit=limit, previous=previous, current=current - 1, elapsed=elapsed), estimate - 1


def _flush(token_id: int, window: int, count: int, now: float) -> float:
    """Add calls allowed locally to the shared counter of their minute; returns the estimate."""
    cache = caches[CACHE_ALIAS]
    current = _incr(cache, _key(token_id, window), count)
    previous = int(cache.get(_key(token_id, window - 1)) or 0)
    return previous * (1 - (now - window * WINDOW) / WINDOW) + current


# -- the local batch in front of the shared counter (see the module docstring) ----------------------

SYNC_SECONDS = 0.25
BATCH_SHARE = 0.05
LOCAL_SHARE = 0.5


class _Local:
    """One token's calls in this process: the shared estimate last read, and calls not yet added."""

    __slots__ = ("estimate", "flushing", "pending", "synced", "syncing", "window")

    def __init__(self) -> None:
        self.window = -1
        self.estimate = 0.0
        self.synced = 0.0  # when `estimate` was read (time.time())
        self.syncing = 0  # reads of the shared counter in flight
        self.pending = 0
        self.flushing: asyncio.TimerHandle | None = None


_local: dict[int, _Local] = {}
_flushes: set[asyncio.Future[None]] = set()


def flush_local() -> None:
    """Add every local batch to the shared counters now (sync; at shutdown, so no call goes uncounted)."""
    for token_id, state in list(_local.items()):
        if state.flushing is not None:
            state.flushing.cancel()
            state.flushing = None
        if state.pending:
            count, state.pending = state.pending, 0
            try:
                _flush(token_id, state.window, count, time.time())
            except Exception:
                logger.warning("could not add %d calls to the shared rate-limit counter", count, exc_info=True)


def reset_local() -> None:
    """Forget the local batches (tests; calls pending in them are dropped, not counted)."""
    for state in _local.values():
        if state.flushing is not None:
            state.flushing.cancel()
    _local.clear()


async def ahit(token_id: int, limit: int) -> float | None:
    """`hit` for the event loop: counted locally while far from the limit, else in the cache (off
    the loop: the cache client is blocking)."""
    now = time.time()
    window = math.floor(now / WINDOW)
    state = _local.get(token_id)
    if state is None:
        state = _local[token_id] = _Local()
    # The estimate is fresh while the periodic flush keeps it so, or while a read is in flight (so
    # the calls that arrive meanwhile do not all read the cache too).
    fresh = state.syncing > 0 or now - state.synced < 2 * SYNC_SECONDS
    if (fresh and state.window == window and state.pending + 1 < limit * BATCH_SHARE
            and state.estimate + state.pending + 1 < limit * LOCAL_SHARE):
        state.pending += 1
        if state.flushing is None:
            state.flushing = asyncio.get_running_loop().call_later(SYNC_SECONDS, _schedule_flush, token_id)
        return None
    # Exact: this call and the local ones of the same minute go to the shared counter together.
    earlier = state.pending if state.window == window else 0
    stale, stale_window = (state.pending, state.window) if state.window != window else (0, -1)
    state.pending = 0
    state.syncing += 1
    try:
        if stale:
            await asyncio.to_thread(_flush, token_id, stale_window, stale, now)
        wait, estimate = await asyncio.to_thread(_hit, token_id, limit, now, earlier)
    finally:
        state.syncing -= 1
    state.window, state.estimate, state.synced = window, estimate, time.time()
    return wait


def _schedule_flush(token_id: int) -> None:
    state = _local.get(token_id)
    if state is None:
        return
    state.flushing = None
    if state.pending:
        task = asyncio.ensure_future(_flush_pending(token_id, state))
        _flushes.add(task)
        task.add_done_callback(_flushes.discard)


async def _flush_pending(token_id: int, state: _Local) -> None:
    count, window, now = state.pending, state.window, time.time()
    state.pending = 0
    state.syncing += 1
    try:
        estimate = await asyncio.to_thread(_flush, token_id, window, count, now)
    except Exception:  # the cache is down: the next exact call says so to its caller
        logger.warning("could not add %d calls to the shared rate-limit counter", count, exc_info=True)
        return
    finally:
        state.syncing -= 1
    if state.window == window:
        # What this process counted since the read is in `pending` again, on top of this.
        state.estimate, state.synced = estimate, time.time()
