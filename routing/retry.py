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
from typing import Protocol

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
    - A key that cannot mint a token, or that Vertex answers 401/403 even with a fresh token, is
      put aside whole for `key_cooldown_seconds` (at once: such a fault is not transient), shared
      with other processes through `Cooldowns.shared` when one is set.
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
    key_cooldown_seconds: float = 60.0
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
# How often a process asks the shared store whether a key it does not know to be cooling is.
SHARED_RECHECK_SECONDS = 1.0


class SharedKeyCooldowns(Protocol):
    """Where key cooldowns are shared between processes (the gateway sets one on `COOLDOWNS`).

    `put` records that `key_id` is put aside for `seconds` and why; `remaining` answers how many
    seconds are left (None when it is not cooling); `drop` ends it. Must not raise."""

    def put(self, key_id: str, seconds: float, reason: str) -> None: ...

    def remaining(self, key_id: str) -> float | None: ...

    def drop(self, key_id: str) -> None: ...


class Cooldowns:
    """Consecutive failures per (key_id, region, target), and until when each is cooling down;
    and whole keys put aside because their credential does not work."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 shared: SharedKeyCooldowns | None = None) -> None:
        self.clock = clock
        self.shared = shared
        self._failures: dict[CooldownKey, int] = {}
        self._until: dict[CooldownKey, float] = {}
        self._key_until: dict[str, float] = {}
        self._key_checked: dict[str, float] = {}
        self._lock = threading.Lock()

    def key_cooling(self, key_id: str) -> bool:
        """Whether the whole key is put aside (here, or by another process sharing `shared`)."""
        now = self.clock()
        until = self._key_until.get(key_id)
        if until is not None:
            if now < until:
                return True
            self._key_until.pop(key_id, None)
        if self.shared is None:
            return False
        if now - self._key_checked.get(key_id, float("-inf")) < SHARED_RECHECK_SECONDS:
            return False
        self._key_checked[key_id] = now
        remaining = self.shared.remaining(key_id)
        if remaining is None or remaining <= 0:
            return False
        self._key_until[key_id] = now + remaining
        return True

    def key_failure(self, key_id: str, policy: RetryPolicy, reason: str) -> None:
        """Put the key aside for `policy.key_cooldown_seconds`: it could not mint a token, or Vertex
        refused its fresh token (401/403)."""
        self._key_until[key_id] = self.clock() + policy.key_cooldown_seconds
        if self.shared is not None:
            self.shared.put(key_id, policy.key_cooldown_seconds, reason)

    def key_success(self, key_id: str) -> None:
        if self._key_until.pop(key_id, None) is not None and self.shared is not None:
            self.shared.drop(key_id)

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
            self._key_until.clear()
            self._key_checked.clear()


COOLDOWNS = Cooldowns()
"""The process-wide cooldowns (Routers are cheap and may be built per request; cooldowns outlive them)."""
