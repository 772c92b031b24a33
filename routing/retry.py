"""Retry policy, backoff with jitter, Retry-After parsing, and per-process cooldowns.

The router uses these; they are separate so the rules can be read (and tested) on their own.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the router tries before giving up (seconds where it is a time).

    - `max_retries`: further attempts on the same key/region/target after a 429/5xx or a transport
      error (so at most 1 + max_retries attempts there), then fail over to the next candidate.
    - `backoff_initial` * `backoff_multiplier` ** n, capped at `backoff_max`, minus up to `jitter`
      of it at random; a `Retry-After` longer than that is honoured, up to `retry_after_cap`.
    - `max_failovers`: other candidates tried after the first (regions, then keys);
      `region_failover` / `max_failover_regions`: whether and how many other regions of the same
      key are tried (regions the catalog says serve the model). Which regions is each key's own
      `KeyConfig.region_failover` ("any" by default: `global` first, then anywhere serving the
      model; "geography" keeps the residency zone; see `routing.residency`); False here turns region failover off for every key.
    - `cooldown_after` consecutive failures of a (key, region, target) put it aside for
      `cooldown_seconds` in this process; it is still used when nothing else is left.
    - `timeout`: seconds allowed for each phase (connect, write, each read, pool) of every attempt;
      `connect_timeout` overrides it for the connect phase; None keeps the transport's own
      timeouts (routing.transport.configure).
    """

    max_retries: int = 2
    backoff_initial: float = 0.5
    backoff_multiplier: float = 2.0
    backoff_max: float = 8.0
    jitter: float = 0.5
    retry_after_cap: float = 30.0
    max_failovers: int = 3
    region_failover: bool = True
    max_failover_regions: int = 2
    cooldown_after: int = 3
    cooldown_seconds: float = 30.0
    timeout: float | None = None
    connect_timeout: float | None = None

    def backoff(self, retry: int, retry_after: float | None = None,
                rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry number `retry` (1-based)."""
        delay = min(self.backoff_max, self.backoff_initial * self.backoff_multiplier ** (retry - 1))
        delay -= delay * self.jitter * rand()
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.retry_after_cap))
        return delay


def parse_retry_after(headers: Mapping[str, str], *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date); None when absent or bad."""
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now())


CooldownKey = tuple[str, str, str]  # (key_id, region, target)


class Cooldowns:
    """Consecutive failures per (key_id, region, target), and until when each is cooling down."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._failures: dict[CooldownKey, int] = {}
        self._until: dict[CooldownKey, float] = {}
        self._lock = threading.Lock()

    def cooling(self, slot: CooldownKey) -> bool:
        until = self._until.get(slot)
        if until is None:
            return False
        if self.clock() < until:
            return True
        self._until.pop(slot, None)
        return False

    def failure(self, slot: CooldownKey, policy: RetryPolicy) -> None:
        with self._lock:
            count = self._failures.get(slot, 0) + 1
            self._failures[slot] = count
            if count >= policy.cooldown_after:
                self._until[slot] = self.clock() + policy.cooldown_seconds
                self._failures[slot] = 0

    def success(self, slot: CooldownKey) -> None:
        if slot in self._failures or slot in self._until:
            with self._lock:
                self._failures.pop(slot, None)
                self._until.pop(slot, None)

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()
            self._until.clear()


COOLDOWNS = Cooldowns()
"""The process-wide cooldowns (Routers are cheap and may be built per request; cooldowns outlive them)."""
