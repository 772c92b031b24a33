"""Spend counters shared by every web process: Redis when configured, else the database.

Amounts are integer nano-dollars, so additions are exact and atomic on both backends:
Redis `INCRBY` (one pipeline for all of a call's budgets) or one
`INSERT ... ON CONFLICT DO UPDATE SET spent_nanos = spent_nanos + excluded.spent_nanos RETURNING`
per budget on the database. A counter is addressed by (budget id, period start).

The database backend keeps an in-process mirror of the counters it has read or written: a read
younger than BUDGET_DB_REFRESH_SECONDS is served from memory, and this process's own additions
update the mirror with the total the database returned. With one web process (the embedded mode)
the mirror is exact; with several on one database, another process's spend is seen within that
many seconds (0 reads the database on every check). Redis is read on every check by default (one
MGET round trip); BUDGET_REDIS_REFRESH_SECONDS > 0 trades that round trip for the same staleness.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from django.conf import settings

CounterKey = tuple[int, int]  # (budget id, period start as epoch seconds)


class Counters(Protocol):
    def get_many(self, keys: Sequence[CounterKey]) -> list[int]: ...
    async def aget_many(self, keys: Sequence[CounterKey]) -> list[int]: ...
    def add_many(self, keys: Sequence[CounterKey], nanos: int, ttls: Sequence[int | None]) -> None: ...


class _Mirror:
    """Counter values this process has read or written, trusted for `refresh_seconds`."""

    def __init__(self, refresh_seconds: float) -> None:
        self.refresh_seconds = refresh_seconds
        self._mirror: dict[CounterKey, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def _fresh(self, keys: Sequence[CounterKey]) -> dict[CounterKey, int]:
        if self.refresh_seconds <= 0:
            return {}
        now = time.monotonic()
        out: dict[CounterKey, int] = {}
        with self._lock:
            for k in keys:
                hit = self._mirror.get(k)
                if hit is not None and now - hit[1] < self.refresh_seconds:
                    out[k] = hit[0]
        return out

    def _remember(self, values: dict[CounterKey, int]) -> None:
        if self.refresh_seconds <= 0:
            return
        now = time.monotonic()
        with self._lock:
            if len(self._mirror) > 100_000:  # old periods' keys
                self._mirror.clear()
            for k, v in values.items():
                self._mirror[k] = (v, now)


class RedisCounters(_Mirror):
    """Redis counters; with BUDGET_REDIS_REFRESH_SECONDS > 0 a check may use a value this process
    read or wrote that long ago instead of a round trip (0, the default: every check reads Redis)."""

    def __init__(self, url: str, prefix: str, refresh_seconds: float = 0.0) -> None:
        import redis

        super().__init__(refresh_seconds)
        self.client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self.prefix = prefix

    def _name(self, key: CounterKey) -> str:
        return f"{self.prefix}:budget:{key[0]}:{key[1]}"

    def _mget(self, keys: Sequence[CounterKey]) -> dict[CounterKey, int | None]:
        values = self.client.mget([self._name(k) for k in keys])
        return {k: int(v) if v is not None else None for k, v in zip(keys, values, strict=True)}

    def _seed(self, seeds: dict[CounterKey, tuple[int, int | None]]) -> dict[CounterKey, int]:
        """SET NX the seeded counters (another process may have won), then read what is there."""
        pipe = self.client.pipeline(transaction=False)
        for key, (value, ttl) in seeds.items():
            pipe.set(self._name(key), value, nx=True, ex=ttl or None)
        pipe.execute()
        return {k: v or 0 for k, v in self._mget(list(seeds)).items()}

    def get_many(self, keys: Sequence[CounterKey]) -> list[int]:
        if not keys:
            return []
        known = self._fresh(keys)
        missing = [k for k in keys if k not in known]
        if missing:
            read = self._mget(missing)
            absent = [k for k, v in read.items() if v is None]
            if absent:
                read.update(self._seed(seed_counters(absent)))
            values = {k: v or 0 for k, v in read.items()}
            self._remember(values)
            known.update(values)
        return [known[k] for k in keys]

    async def aget_many(self, keys: Sequence[CounterKey]) -> list[int]:
        # One loopback round trip (tens of µs): cheaper inline than a hop to a thread. A counter that
        # is not in Redis (a new period, or Redis lost it) is seeded once from the durable rollup.
        known = self._fresh(keys)
        missing = [k for k in keys if k not in known]
        if missing:
            read = self._mget(missing)
            absent = [k for k, v in read.items() if v is None]
            if absent:
                from gateway_admin.aio import run_db

                read.update(self._seed(await run_db(seed_counters, absent)))
            values = {k: v or 0 for k, v in read.items()}
            self._remember(values)
            known.update(values)
        return [known[k] for k in keys]

    def add_many(self, keys: Sequence[CounterKey], nanos: int, ttls: Sequence[int | None]) -> None:
        pipe = self.client.pipeline(transaction=False)
        for key, ttl in zip(keys, ttls, strict=True):
            name = self._name(key)
            pipe.incrby(name, nanos)
            if ttl:
                pipe.expire(name, ttl)
        results = iter(pipe.execute())
        totals: dict[CounterKey, int] = {}
        for key, ttl in zip(keys, ttls, strict=True):
            totals[key] = int(next(results))
            if ttl:
                next(results)
        self._remember(totals)


class DatabaseCounters(_Mirror):

    def _read(self, keys: Sequence[CounterKey]) -> dict[CounterKey, int]:
        from django.db.models import Q

        from gateway_admin.models import BudgetCounter

        cond = Q()
        for bid, ts in keys:
            cond |= Q(budget_id=bid, period_start=datetime.fromtimestamp(ts, UTC))
        found = {(bid, int(start.timestamp())): spent for bid, start, spent in
                 BudgetCounter.objects.filter(cond).values_list("budget_id", "period_start", "spent_nanos")}
        values = {k: found.get(k, 0) for k in keys}
        self._remember(values)
        return values

    def get_many(self, keys: Sequence[CounterKey]) -> list[int]:
        known = self._fresh(keys)
        missing = [k for k in keys if k not in known]
        if missing:
            known.update(self._read(missing))
        return [known[k] for k in keys]

    async def aget_many(self, keys: Sequence[CounterKey]) -> list[int]:
        known = self._fresh(keys)
        missing = [k for k in keys if k not in known]
        if missing:
            from gateway_admin.aio import run_db

            known.update(await run_db(self._read, missing))
        return [known[k] for k in keys]

    def add_many(self, keys: Sequence[CounterKey], nanos: int, ttls: Sequence[int | None]) -> None:
        from django.db import connection, transaction

        from gateway_admin.models import BudgetCounter

        table = connection.ops.quote_name(BudgetCounter._meta.db_table)
        sql = (f"INSERT INTO {table} (budget_id, period_start, spent_nanos) VALUES (%s, %s, %s) "  # noqa: S608 - our identifiers
               "ON CONFLICT (budget_id, period_start) DO UPDATE SET "
               f"spent_nanos = {table}.spent_nanos + excluded.spent_nanos RETURNING spent_nanos")
        totals: dict[CounterKey, int] = {}
        with transaction.atomic(), connection.cursor() as cur:
            for key in keys:
                start = connection.ops.adapt_datetimefield_value(datetime.fromtimestamp(key[1], UTC))
                cur.execute(sql, [key[0], start, nanos])
                totals[key] = int(cur.fetchone()[0])
        self._remember(totals)


def seed_counters(keys: Sequence[CounterKey]) -> dict[CounterKey, tuple[int, int | None]]:
    """(value, ttl) for counters Redis does not have: the budget's scope's cost in the usage rollup
    over the period's days since the budget was created (the rollup is durable; Redis may restart).
    A period that just started seeds 0. The creation day is counted whole."""
    from django.db.models import Sum

    from gateway_admin.models import Budget, Team, UsageRollup

    from .periods import period_bounds

    budgets = {b.pk: b for b in Budget.objects.filter(pk__in={k[0] for k in keys})}
    out: dict[CounterKey, tuple[int, int | None]] = {}
    now = datetime.now(UTC)
    for key in keys:
        b = budgets.get(key[0])
        if b is None:
            out[key] = (0, 3600)
            continue
        start = datetime.fromtimestamp(key[1], UTC)
        _, resets = period_bounds(b.period, start)
        since = max(start.date(), b.created_at.astimezone(UTC).date())
        rows = UsageRollup.objects.filter(day__gte=since)
        if resets is not None:
            rows = rows.filter(day__lt=resets.date())
        if b.token_id:
            rows = rows.filter(token_id=b.token_id)
        elif b.user_id:
            rows = rows.filter(user_id=b.user_id)
        else:
            rows = rows.filter(user_id__in=Team.members.through.objects.filter(team_id=b.team_id).values("user_id"))
        total = int(rows.aggregate(n=Sum("cost_nanos"))["n"] or 0)
        ttl = None if resets is None else max(int((resets - now).total_seconds()), 0) + 86_400
        out[key] = (total, ttl)
    return out


_backend: Any = None
_backend_lock = threading.Lock()


def counters() -> Counters:
    """The process's counter backend, chosen once from settings (BUDGET_COUNTERS: auto | redis | database)."""
    global _backend
    if _backend is None:
        with _backend_lock:
            if _backend is None:
                _backend = _make_backend()
    return _backend  # type: ignore[no-any-return]


def _make_backend() -> Counters:
    kind = getattr(settings, "BUDGET_COUNTERS", "auto")
    url = getattr(settings, "BUDGET_REDIS_URL", "") or getattr(settings, "REDIS_URL", "")
    if kind == "redis" or (kind == "auto" and url):
        return RedisCounters(url, getattr(settings, "CACHE_KEY_PREFIX", "vga"),
                             float(getattr(settings, "BUDGET_REDIS_REFRESH_SECONDS", 0.0)))
    return DatabaseCounters(float(getattr(settings, "BUDGET_DB_REFRESH_SECONDS", 1.0)))


def counters_reset() -> None:
    """Choose the backend again from settings (tests switch backends)."""
    global _backend
    _backend = None
