"""After a call: add its cost to every budget counter it counts against, its tokens to the
token's TPM window, and one upsert to the daily usage rollup.

The rollup is written here, directly, not through the batched request-log writer: an atomic
`INSERT ... ON CONFLICT DO UPDATE SET calls = calls + 1, ...` per call, committed before the hook
returns, so a web process that crashes afterwards loses none of the spend it recorded. Calls that
finish together share one transaction (group commit): a call joins the batch being gathered while
the previous one commits, and every caller of the batch returns once it is committed.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any

from .budgets import BudgetRule, abudgets_snapshot, budgets_snapshot, to_nanos
from .counters import counters
from .tpm import tpm_add
from .types import Cost, Usage

_COLUMNS = ("calls", "errors", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
            "cost_nanos", "unpriced_calls")


def rollup_add(*, day: date, token_id: int | None, user_id: int | None, key_id: int | None, model: str,
               usage: Usage, cost_nanos: int, priced: bool, error: bool, calls: int = 1) -> None:
    """Add one call (or `calls` calls with these totals) to its rollup row, atomically."""
    from django.db import connection

    from gateway_admin.models import UsageRollup

    table = connection.ops.quote_name(UsageRollup._meta.db_table)
    values = (calls, calls if error else 0, usage.input_tokens or 0, usage.output_tokens or 0,
              usage.cache_read_tokens or 0, usage.cache_write_tokens or 0, cost_nanos, 0 if priced else calls)
    sets = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in _COLUMNS)
    sql = (f"INSERT INTO {table} (day, token_id, user_id, key_id, model, {', '.join(_COLUMNS)}) "  # noqa: S608 - our identifiers
           f"VALUES (%s, %s, %s, %s, %s, {', '.join(['%s'] * len(_COLUMNS))}) "
           f"ON CONFLICT (day, token_id, user_id, key_id, model) DO UPDATE SET {sets}")
    with connection.cursor() as cur:
        cur.execute(sql, [connection.ops.adapt_datefield_value(day), token_id or 0, user_id or 0, key_id or 0,
                          (model or "")[:128].replace("\x00", ""), *values])


def _record(*, token_id: int | None, user_id: int | None, key_id: int | None, model: str, usage: Usage,
            cost: Cost, at: datetime, error: bool, rules: tuple[BudgetRule, ...], add_counters: bool) -> None:
    nanos = to_nanos(cost.usd) if cost.usd is not None else 0
    if add_counters and rules and nanos > 0:
        counters().add_many([r.counter_key(at) for r in rules], nanos, [r.ttl(at) for r in rules])
    rollup_add(day=at.astimezone(UTC).date(), token_id=token_id, user_id=user_id, key_id=key_id, model=model,
               usage=usage, cost_nanos=nanos, priced=cost.usd is not None, error=error)


async def aspend_record(*, token_id: int | None, user_id: int | None, key_id: int | None, model: str,
                        target: str, region: str, usage: Usage, cost: Cost, at: datetime,
                        error: bool = False) -> None:
    """Record one call that Vertex answered (success or not: `error` counts it as an error).

    Budget counters are added first (Redis, or the database in the same transaction as the
    rollup), then the rollup row; the TPM window gets the call's input + output tokens."""

    snap = await abudgets_snapshot()
    rules = snap.rules_for(token_id, user_id)
    if token_id is not None and usage.total_tokens:
        tpm_add(token_id, usage.total_tokens)
    nanos = to_nanos(cost.usd) if cost.usd is not None else 0
    redis_first = bool(rules and nanos > 0 and not _database_counters())
    if redis_first:
        counters().add_many([r.counter_key(at) for r in rules], nanos, [r.ttl(at) for r in rules])
    await _committed(dict(token_id=token_id, user_id=user_id, key_id=key_id, model=model, usage=usage, cost=cost,
                          at=at, error=error, rules=rules, add_counters=not redis_first))


class _Batch:
    """Records waiting for the next commit of one event loop."""

    def __init__(self) -> None:
        self.pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self.flushing = False
        self.task: asyncio.Task[None] | None = None  # held so the loop does not drop it


_batches: dict[asyncio.AbstractEventLoop, _Batch] = {}


async def _committed(record: dict[str, Any]) -> None:
    loop = asyncio.get_running_loop()
    batch = _batches.get(loop)
    if batch is None:
        batch = _batches[loop] = _Batch()
        if len(_batches) > 64:  # loops of finished asyncio.run() calls
            for old in [lp for lp in _batches if lp.is_closed()]:
                del _batches[old]
    future: asyncio.Future[None] = loop.create_future()
    batch.pending.append((record, future))
    if not batch.flushing:
        batch.flushing = True
        batch.task = loop.create_task(_flush(batch))
    await future


# One writer thread with a connection it keeps while calls come in (the shared database threads
# open one per job when CONN_MAX_AGE is 0, which costs more than the write itself) and closes after
# IDLE_CLOSE_SECONDS without writes; one writer is also what SQLite allows.
_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spend-db")
IDLE_CLOSE_SECONDS = 2.0
_last_write = 0.0
_idle_timer: threading.Timer | None = None
_timer_lock = threading.Lock()


def _write(records: list[dict[str, Any]]) -> None:
    global _last_write
    from django.db import InterfaceError, OperationalError, connection

    try:
        _record_atomic(records)
    except (InterfaceError, OperationalError):
        connection.close()  # a broken or restarted database: reconnect and try once more
        _record_atomic(records)
    _last_write = time.monotonic()
    _arm_idle_close()


def _arm_idle_close() -> None:
    global _idle_timer
    with _timer_lock:
        if _idle_timer is None:
            _idle_timer = threading.Timer(IDLE_CLOSE_SECONDS, _idle_check)
            _idle_timer.daemon = True
            _idle_timer.start()


def _idle_check() -> None:
    global _idle_timer
    with _timer_lock:
        _idle_timer = None
    if time.monotonic() - _last_write >= IDLE_CLOSE_SECONDS:
        _writer.submit(_close_connection)
    else:
        _arm_idle_close()


def _close_connection() -> None:
    from django.db import connection

    connection.close()


def spend_writer_close() -> None:
    """Close the writer thread's database connection and end the thread (tests, before a database is
    swapped or dropped); the next write starts a new writer, which connects afresh."""
    global _writer
    old = _writer
    _writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spend-db")
    old.submit(_close_connection).result(timeout=10)
    old.shutdown(wait=True)


async def _flush(batch: _Batch) -> None:
    loop = asyncio.get_running_loop()
    try:
        while batch.pending:
            taken, batch.pending = batch.pending, []
            try:
                await loop.run_in_executor(_writer, _write, [record for record, _ in taken])
            except Exception as exc:
                for _, future in taken:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for _, future in taken:
                    if not future.done():
                        future.set_result(None)
    finally:
        batch.flushing = False


def _record_atomic(records: list[dict[str, Any]]) -> None:
    from django.db import transaction

    with transaction.atomic():
        for record in records:
            _record(**record)


def spend_record(*, token_id: int | None, user_id: int | None, key_id: int | None, model: str,
                 target: str, region: str, usage: Usage, cost: Cost, at: datetime, error: bool = False) -> None:
    """`aspend_record` for sync callers."""
    rules = budgets_snapshot().rules_for(token_id, user_id)
    if token_id is not None and usage.total_tokens:
        tpm_add(token_id, usage.total_tokens)
    _record_atomic([dict(token_id=token_id, user_id=user_id, key_id=key_id, model=model, usage=usage, cost=cost,
                         at=at, error=error, rules=rules, add_counters=True)])


def _database_counters() -> bool:
    from .counters import DatabaseCounters

    return isinstance(counters(), DatabaseCounters)

