"""Prices as data: the shipped table (gateway_admin/data/prices.json) plus admins' overrides.

The table is billing data of the gateway, not wire protocol, so it lives with the gateway rather
than in `routing/`; `routing.catalog.base_model` maps a target to its table id.

- `call_cost(*, target, region, usage, at=None) -> Cost`: pure arithmetic over a cached snapshot;
  never $0 for an unknown model (`Cost(None, "none")`).
- `price_rows(at=None)`: every model's effective price (table merged with overrides), for the
  Prices page and API.
- `prices_invalidate()`: called by the override services; other processes reload their snapshot
  within PRICE_CACHE_SECONDS.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from routing.catalog import base_model

from .types import Cost, Usage

PRICES_FILE = Path(__file__).resolve().parents[1] / "data" / "prices.json"
MILLION = Decimal(1_000_000)
NANO = Decimal("0.000000001")
PRICE_FIELDS = ("input", "output", "cache_read", "cache_write", "per_image", "per_second",
                "regional_premium_percent")


@dataclass(frozen=True)
class LongContext:
    above_input_tokens: int
    input: Decimal | None = None
    output: Decimal | None = None
    cache_read: Decimal | None = None
    cache_write: Decimal | None = None


@dataclass(frozen=True)
class PriceRow:
    """One model's prices in USD: token prices per million, per image, per second of video."""

    model_id: str
    version: str
    input: Decimal | None = None
    output: Decimal | None = None
    cache_read: Decimal | None = None
    cache_write: Decimal | None = None
    per_image: Decimal | None = None
    per_second: Decimal | None = None
    regional_premium_percent: Decimal | None = None
    long_context: LongContext | None = None
    source: str = ""
    as_of: str = ""
    note: str = ""

    @property
    def priced(self) -> bool:
        return any(getattr(self, f) is not None for f in PRICE_FIELDS[:6])


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def load_table(path: Path = PRICES_FILE) -> tuple[str, dict[str, PriceRow], dict[str, str]]:
    """(version, rows by model id, sources) of a price file."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    version = f"table:{doc['version']}"
    sources: dict[str, str] = dict(doc.get("sources") or {})
    rows: dict[str, PriceRow] = {}
    for raw in doc["models"]:
        lc = raw.get("long_context")
        rows[raw["id"]] = PriceRow(
            model_id=raw["id"], version=version,
            **{f: _dec(raw.get(f)) for f in PRICE_FIELDS},
            long_context=LongContext(above_input_tokens=int(lc["above_input_tokens"]),
                                     **{f: _dec(lc.get(f)) for f in ("input", "output", "cache_read",
                                                                     "cache_write")}) if lc else None,
            source=sources.get(raw.get("source", ""), raw.get("source", "")),
            as_of=raw.get("as_of", ""), note=raw.get("note", ""))
    return version, rows, sources


TABLE_VERSION, TABLE, SOURCES = load_table()


def price_for_usage(row: PriceRow, *, region: str, usage: Usage) -> Decimal | None:
    """The USD cost of `usage` at `row`'s prices on `region` (pure). None when nothing of what was
    used has a price (e.g. tokens of a model priced per image only)."""
    inp, out, read, write = row.input, row.output, row.cache_read, row.cache_write
    total_in = usage.input_tokens or 0
    lc = row.long_context
    if lc is not None and total_in > lc.above_input_tokens:
        inp = lc.input if lc.input is not None else inp
        out = lc.output if lc.output is not None else out
        read = lc.cache_read if lc.cache_read is not None else read
        write = lc.cache_write if lc.cache_write is not None else write
    read_n = usage.cache_read_tokens or 0
    write_n = usage.cache_write_tokens or 0
    plain_n = max(total_in - read_n - write_n, 0)
    cost = Decimal(0)
    priced = False
    token_parts = ((plain_n, inp), (read_n, read if read is not None else inp),
                   (write_n, write if write is not None else inp), (usage.output_tokens or 0, out))
    for n, price in token_parts:
        if n and price is not None:
            cost += Decimal(n) * price / MILLION
            priced = True
        elif n:
            return None  # tokens of a kind this row does not price: unknown, not free
    if usage.images:
        if row.per_image is None:
            return None
        cost += Decimal(usage.images) * row.per_image
        priced = True
    if usage.video_seconds:
        if row.per_second is None:
            return None
        cost += Decimal(str(usage.video_seconds)) * row.per_second
        priced = True
    if not priced and not row.priced:
        return None
    if row.regional_premium_percent and region != "global":
        cost += cost * row.regional_premium_percent / Decimal(100)
    return cost.quantize(NANO)


# ------------------------------------------------------------------ overrides snapshot


@dataclass(frozen=True)
class _Override:
    id: int
    model_id: str
    effective_from: datetime
    fields: Mapping[str, Decimal | None]
    note: str


_lock = threading.Lock()
_snapshot: tuple[float, dict[str, list[_Override]]] | None = None
_refreshing = False


def _cache_seconds() -> float:
    from django.conf import settings

    return float(getattr(settings, "PRICE_CACHE_SECONDS", 5.0))


def _load_overrides() -> dict[str, list[_Override]]:
    from gateway_admin.models import PriceOverride

    out: dict[str, list[_Override]] = {}
    for o in PriceOverride.objects.order_by("model_id", "-effective_from"):
        out.setdefault(o.model_id, []).append(_Override(
            id=o.pk, model_id=o.model_id, effective_from=o.effective_from,
            fields={f: getattr(o, f) for f in PRICE_FIELDS}, note=o.note))
    return out


def _store(overrides: dict[str, list[_Override]]) -> dict[str, list[_Override]]:
    global _snapshot
    with _lock:
        _snapshot = (time.monotonic(), overrides)
    return overrides


def _refresh_in_background() -> None:
    global _refreshing
    from django.db import close_old_connections

    try:
        close_old_connections()
        _store(_load_overrides())
    finally:
        close_old_connections()
        _refreshing = False


def _overrides() -> dict[str, list[_Override]]:
    """The cached overrides. Called from the event loop, a stale snapshot is served while a thread
    reloads it (the first load of a process waits for that thread once)."""
    global _refreshing
    snap = _snapshot
    if snap is not None and time.monotonic() - snap[0] < _cache_seconds():
        return snap[1]
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _store(_load_overrides())
    if snap is None:
        worker = threading.Thread(target=_refresh_in_background, daemon=True)
        _refreshing = True
        worker.start()
        worker.join()
        return _snapshot[1] if _snapshot else {}
    if not _refreshing:
        _refreshing = True
        threading.Thread(target=_refresh_in_background, daemon=True).start()
    return snap[1]


def prices_invalidate() -> None:
    """Forget the cached overrides (after an override changes)."""
    global _snapshot
    with _lock:
        _snapshot = None


def _apply(row: PriceRow | None, model_id: str, override: _Override) -> PriceRow:
    base = row or PriceRow(model_id=model_id, version="")
    changed: dict[str, Any] = {f: v for f, v in override.fields.items() if v is not None}
    return replace(base, version=f"override:{override.id}", source="admin override",
                   as_of=override.effective_from.date().isoformat(), note=override.note or base.note, **changed)


def effective_row(model_id: str, *, at: datetime | None = None) -> PriceRow | None:
    """The price row of a table id at `at` (default now): the latest override in effect, else the table's."""
    row = TABLE.get(model_id)
    overrides = _overrides().get(model_id)
    if overrides:
        from django.utils import timezone

        when = at or timezone.now()
        for o in overrides:  # newest first
            if o.effective_from <= when:
                return _apply(row, model_id, o)
    return row


_ANTHROPIC_DATED = re.compile(r"-20[0-9]{6}(\[1m\])?$")


def price_model_id(target: str) -> str:
    """The table id of a call's target ("claude-sonnet-4-5@20250929" -> "claude-sonnet-4-5"; also
    Anthropic's own dated ids, "claude-sonnet-4-5-20250929[1m]")."""
    if target in TABLE:
        return target
    base = base_model(target)
    if base not in TABLE and target.startswith("claude-"):
        undated = _ANTHROPIC_DATED.sub("", target)
        return undated if undated in TABLE else base
    return base


def call_cost(*, target: str, region: str, usage: Usage, at: datetime | None = None) -> Cost:
    """The cost of one call. Fast: dictionary lookups and Decimal arithmetic over cached data."""
    model_id = price_model_id(target)
    row = effective_row(model_id, at=at) or (effective_row(target, at=at) if model_id != target else None)
    if row is None or not row.priced:
        return Cost(usd=None, price_version="none")
    usd = price_for_usage(row, region=region, usage=usage)
    return Cost(usd=usd, price_version=row.version if usd is not None else "none")


def price_rows(*, at: datetime | None = None) -> list[PriceRow]:
    """Every priced model (table and overrides) as in effect at `at`, by id."""
    ids = set(TABLE) | set(_overrides())
    rows = [effective_row(i, at=at) for i in sorted(ids)]
    return [r for r in rows if r is not None]
