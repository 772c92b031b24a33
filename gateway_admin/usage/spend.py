"""After a call: add its cost to every budget counter it counts against, its tokens to the
token's TPM window, and one upsert to the daily usage rollup.

The rollup is written here, directly, not through the batched request-log writer: one atomic
`INSERT ... ON CONFLICT DO UPDATE SET calls = calls + 1, ...` per call, committed before the hook
returns, so a web process that crashes afterwards loses none of the spend it recorded.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

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
    from gateway_admin.aio import run_db

    snap = await abudgets_snapshot()
    rules = snap.rules_for(token_id, user_id)
    if token_id is not None and usage.total_tokens:
        tpm_add(token_id, usage.total_tokens)
    nanos = to_nanos(cost.usd) if cost.usd is not None else 0
    redis_first = rules and nanos > 0 and not _database_counters()
    if redis_first:
        counters().add_many([r.counter_key(at) for r in rules], nanos, [r.ttl(at) for r in rules])
    await run_db(_record_atomic, token_id=token_id, user_id=user_id, key_id=key_id, model=model, usage=usage,
                 cost=cost, at=at, error=error, rules=rules, add_counters=not redis_first)


def _record_atomic(**kwargs: object) -> None:
    from django.db import transaction

    with transaction.atomic():
        _record(**kwargs)  # type: ignore[arg-type]


def spend_record(*, token_id: int | None, user_id: int | None, key_id: int | None, model: str,
                 target: str, region: str, usage: Usage, cost: Cost, at: datetime, error: bool = False) -> None:
    """`aspend_record` for sync callers."""
    rules = budgets_snapshot().rules_for(token_id, user_id)
    if token_id is not None and usage.total_tokens:
        tpm_add(token_id, usage.total_tokens)
    _record_atomic(token_id=token_id, user_id=user_id, key_id=key_id, model=model, usage=usage, cost=cost,
                   at=at, error=error, rules=rules, add_counters=True)


def _database_counters() -> bool:
    from .counters import DatabaseCounters

    return isinstance(counters(), DatabaseCounters)

