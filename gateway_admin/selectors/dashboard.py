"""Reads behind the dashboard pages: keys overview, request log (+ chart), audit log.

Every function runs a fixed number of queries whatever the number of keys, models or rows, so the
pages stay fast with many keys (bench/pages_bench.py measures it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from gateway_admin.key_cooldowns import KeyCooldown, key_cooldowns
from gateway_admin.models import AllowedModel, AuditLog, Deployment, RequestLog, VertexKey


@dataclass
class KeyRow:
    """One key as the overview shows it: identity, health and listing state, plus what needs doing."""

    key: VertexKey
    deployment_count: int
    allowed_count: int
    model_count: int
    custom_count: int
    calls_24h: int
    errors_24h: int
    token_minted_at: datetime | None
    last_success_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    listing_fetched_at: datetime | None
    listing_stale: bool
    listing_error: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def needs_attention(self) -> bool:
        return bool(self.problems)

    @property
    def status(self) -> str:
        if not self.key.enabled:
            return "disabled"
        if self.problems:
            return "bad"
        if self.warnings:
            return "warn"
        return "ok"


def _stale_after() -> timedelta:
    # A listing older than two refresh periods means the periodic refresh is not running.
    return timedelta(seconds=2 * getattr(settings, "MODELS_REFRESH_INTERVAL_SECONDS", 900))


def _key_row(key: VertexKey, stats: dict[int, dict[str, int]], now: datetime,
             cooldowns: dict[str, KeyCooldown]) -> KeyRow:
    health = getattr(key, "health", None)
    listing = getattr(key, "listing", None)
    entries = listing.entries if listing is not None else []
    row = KeyRow(
        key=key,
        deployment_count=key.deployment_count,  # type: ignore[attr-defined]
        allowed_count=key.allowed_count,  # type: ignore[attr-defined]
        model_count=len(entries),
        custom_count=sum(1 for e in entries if e.get("source") == "custom"),
        calls_24h=stats.get(key.pk, {}).get("calls", 0),
        errors_24h=stats.get(key.pk, {}).get("errors", 0),
        token_minted_at=health.token_minted_at if health else None,
        last_success_at=health.last_success_at if health else None,
        last_error=(health.last_error or health.token_error) if health else "",
        last_error_at=health.last_error_at if health else None,
        listing_fetched_at=listing.fetched_at if listing else None,
        listing_stale=bool(listing and listing.stale),
        listing_error=listing.last_error if listing else "",
    )
    if not key.enabled:
        return row
    if health is not None and health.token_ok is False:
        row.problems.append("No token could be minted with this credential.")
    cooldown = cooldowns.get(str(key.pk))
    if cooldown is not None:
        row.problems.append(
            f"Out of rotation until {cooldown.until:%H:%M:%S} UTC, then retried: {cooldown.reason}")
    if row.last_error_at and (row.last_success_at is None or row.last_error_at > row.last_success_at):
        row.problems.append("The last call through this key failed.")
    if row.listing_stale:
        row.problems.append("The model list could not be refreshed; showing the last good one.")
    if row.deployment_count == 0 and row.allowed_count == 0 and row.custom_count == 0:
        row.warnings.append("No deployments or allowed models: this key serves nothing yet.")
    if row.listing_fetched_at is None:
        row.warnings.append("Models have never been listed for this key.")
    elif now - row.listing_fetched_at > _stale_after():
        row.warnings.append("The model list is older than two refresh periods.")
    if row.calls_24h and row.errors_24h * 2 >= row.calls_24h:
        row.warnings.append("Half or more of the calls in the last 24 hours failed.")
    return row


def overview_key_rows() -> list[KeyRow]:
    """Every key, needs-attention first, then warnings, then healthy, then disabled (4 queries)."""
    now = timezone.now()
    keys = list(VertexKey.objects.select_related("health", "listing").order_by("name"))
    # Counted apart: two COUNT(DISTINCT) over joined deployments x allowed models multiply rows.
    deployments = dict(Deployment.objects.order_by().values_list("key_id").annotate(n=Count("id")))
    allowed = dict(AllowedModel.objects.order_by().values_list("key_id").annotate(n=Count("id")))
    for k in keys:
        k.deployment_count = deployments.get(k.pk, 0)  # type: ignore[attr-defined]
        k.allowed_count = allowed.get(k.pk, 0)  # type: ignore[attr-defined]
    stats = {
        r["key_id"]: r
        for r in RequestLog.objects.filter(created_at__gte=now - timedelta(hours=24), key__isnull=False)
        .values("key_id")
        .annotate(calls=Count("id"), errors=Count("id", filter=Q(status__gte=400)))
    }
    cooldowns = key_cooldowns([str(k.pk) for k in keys])  # one cache read, not one per key
    rows = [_key_row(k, stats, now, cooldowns) for k in keys]
    order = {"bad": 0, "warn": 1, "ok": 2, "disabled": 3}
    rows.sort(key=lambda r: (order[r.status], r.key.name.lower()))
    return rows


def overview_totals(rows: list[KeyRow]) -> dict[str, int]:
    models: set[str] = set()
    for r in rows:
        listing = getattr(r.key, "listing", None)
        if listing is not None and r.key.enabled:
            models.update(e.get("id", "") for e in listing.entries)
    return {
        "keys": len(rows),
        "enabled": sum(1 for r in rows if r.key.enabled),
        "attention": sum(1 for r in rows if r.status == "bad"),
        "warnings": sum(1 for r in rows if r.status == "warn"),
        "models": len(models),
        "calls_24h": sum(r.calls_24h for r in rows),
        "errors_24h": sum(r.errors_24h for r in rows),
    }


# ---------------------------------------------------------------- request log

REQUEST_LOG_PAGE_SIZE = 50
# window -> (span, bucket unit, bucket size): 12, 24 and 28 bars.
CHART_WINDOWS = {"1h": (timedelta(hours=1), "minute", 5), "24h": (timedelta(hours=24), "hour", 1),
                 "7d": (timedelta(days=7), "hour", 6)}


@dataclass(frozen=True)
class RequestLogFilters:
    model: str = ""
    key_id: int | None = None
    source: str = ""
    outcome: str = ""  # "" | "ok" | "error"
    window: str = "24h"


def _filtered_requests(f: RequestLogFilters) -> QuerySet[RequestLog]:
    qs = RequestLog.objects.all()
    if f.model:
        qs = qs.filter(model=f.model)
    if f.key_id:
        qs = qs.filter(key_id=f.key_id)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.outcome == "ok":
        qs = qs.filter(status__lt=400)
    elif f.outcome == "error":
        qs = qs.filter(status__gte=400)
    return qs


def request_log_rows(f: RequestLogFilters, *, before_id: int | None = None,
                     limit: int = REQUEST_LOG_PAGE_SIZE) -> tuple[list[RequestLog], int | None]:
    """The newest calls matching the filters (1 query); returns the rows and the cursor for older ones."""
    qs = _filtered_requests(f).select_related("user", "token").defer("request_body", "response_body")
    if before_id:
        qs = qs.filter(id__lt=before_id)
    rows = list(qs.order_by("-id")[: limit + 1])
    more = rows[limit].id if len(rows) > limit else None
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


@dataclass
class ChartBar:
    x: float
    width: float
    calls_y: float
    calls_h: float
    errors_y: float
    errors_h: float
    label: str
    calls: int
    errors: int


@dataclass
class Chart:
    bars: list[ChartBar]
    max_calls: int
    total_calls: int
    total_errors: int
    ticks: list[tuple[float, str]]
    width: int = 720
    height: int = 160


def request_log_chart(f: RequestLogFilters) -> Chart:
    """Calls and errors per time bucket over the filter's window, laid out for an inline SVG (1 query)."""
    span, unit, step = CHART_WINDOWS.get(f.window, CHART_WINDOWS["24h"])
    now = timezone.now()
    bucket_len = timedelta(minutes=step) if unit == "minute" else timedelta(hours=step)
    n = int(span / bucket_len)
    # Buckets end at the next whole bucket boundary after now, so labels read 10:00, 11:00, ...
    step_s = bucket_len.total_seconds()
    end_ts = (int(now.timestamp() // step_s) + 1) * step_s
    end = datetime.fromtimestamp(end_ts, tz=now.tzinfo)
    start = end - bucket_len * n
    # One scan with a conditional count per bucket: portable, and far cheaper on SQLite than
    # truncating every row's timestamp in a Python function.
    aggregates: dict[str, Any] = {}
    for i in range(n):
        in_bucket = Q(created_at__gte=start + bucket_len * i, created_at__lt=start + bucket_len * (i + 1))
        aggregates[f"c{i}"] = Count("id", filter=in_bucket)
        aggregates[f"e{i}"] = Count("id", filter=in_bucket & Q(status__gte=400))
    counts = _filtered_requests(f).filter(created_at__gte=start).aggregate(**aggregates)
    calls = [counts[f"c{i}"] for i in range(n)]
    errors = [counts[f"e{i}"] for i in range(n)]
    width, height, pad_bottom, pad_top = 720, 160, 18, 6
    plot_h = height - pad_bottom - pad_top
    max_calls = max(calls) or 1
    slot = width / n
    bars = []
    for i in range(n):
        ch = plot_h * calls[i] / max_calls
        eh = plot_h * errors[i] / max_calls
        at = timezone.localtime(start + bucket_len * i)
        label = at.strftime("%H:%M") if span <= timedelta(days=1) else at.strftime("%a %H:%M")
        bars.append(ChartBar(x=round(i * slot + 1, 2), width=round(max(slot - 2, 1), 2),
                             calls_y=round(pad_top + plot_h - ch, 2), calls_h=round(ch, 2),
                             errors_y=round(pad_top + plot_h - eh, 2), errors_h=round(eh, 2),
                             label=label, calls=calls[i], errors=errors[i]))
    tick_every = max(n // 6, 1)
    ticks = [(round(i * slot + slot / 2, 2), bars[i].label) for i in range(0, n, tick_every)]
    return Chart(bars=bars, max_calls=max(calls), total_calls=sum(calls), total_errors=sum(errors),
                 ticks=ticks, width=width, height=height)


def request_log_filter_choices() -> dict[str, Any]:
    """Models and keys seen in the log, for the filter pickers (2 queries)."""
    models = list(RequestLog.objects.order_by().values_list("model", flat=True).distinct()[:500])
    keys = list(VertexKey.objects.order_by("name").values_list("id", "name"))
    return {"models": sorted(m for m in models if m), "keys": keys,
            "sources": RequestLog.Source.choices}


def request_log_entry(*, pk: int) -> RequestLog | None:
    return RequestLog.objects.select_related("user", "token").filter(pk=pk).first()


# ---------------------------------------------------------------- audit log

AUDIT_PAGE_SIZE = 50


def audit_log_rows(*, object_type: str = "", actor: str = "", before_id: int | None = None,
                   limit: int = AUDIT_PAGE_SIZE) -> tuple[list[AuditLog], int | None]:
    qs = AuditLog.objects.all()
    if object_type:
        qs = qs.filter(object_type=object_type)
    if actor:
        qs = qs.filter(actor_label__icontains=actor)
    if before_id:
        qs = qs.filter(id__lt=before_id)
    rows = list(qs.order_by("-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def audit_object_types() -> list[str]:
    return sorted(AuditLog.objects.order_by().values_list("object_type", flat=True).distinct())


# ---------------------------------------------------------------- models page


@dataclass
class ModelRow:
    id: str
    display_name: str
    sources: list[str]
    keys: list[tuple[int, str, str]]  # (key id, key name, target)
    description: str = ""

    KEYS_SHOWN = 3

    @property
    def keys_shown(self) -> list[tuple[int, str, str]]:
        return self.keys[: self.KEYS_SHOWN]

    @property
    def keys_more(self) -> int:
        return max(len(self.keys) - self.KEYS_SHOWN, 0)

    @property
    def more_names(self) -> str:
        return ", ".join(name for _, name, _ in self.keys[self.KEYS_SHOWN:])


@dataclass
class KeyListing:
    key_id: int
    name: str
    region: str
    enabled: bool
    entries: list[dict[str, Any]]
    fetched_at: datetime | None
    stale: bool
    last_error: str
    refreshing: bool


def _refreshing(listing: Any) -> bool:
    if listing is None or listing.refresh_requested_at is None:
        return False
    done = listing.fetched_at or listing.last_error_at
    return done is None or done < listing.refresh_requested_at


def models_page(*, key_id: int | None = None, query: str = "") -> tuple[list[KeyListing], list[ModelRow]]:
    """Every key's merged listing (or only `key_id`'s) and, for all keys, the list across enabled keys,
    filtered by `query` (1 query)."""
    keys = VertexKey.objects.select_related("listing").order_by("name")
    if key_id:
        keys = keys.filter(pk=key_id)
    listings: list[KeyListing] = []
    across: dict[str, ModelRow] = {}
    q = query.strip().lower()
    for key in keys:
        listing = getattr(key, "listing", None)
        entries = list(listing.entries) if listing is not None else []
        if q:
            entries = [e for e in entries if q in e.get("id", "").lower()
                       or q in (e.get("display_name") or "").lower() or q in (e.get("target") or "").lower()]
        listings.append(KeyListing(
            key_id=key.pk, name=key.name, region=key.region, enabled=key.enabled, entries=entries,
            fetched_at=listing.fetched_at if listing else None, stale=bool(listing and listing.stale),
            last_error=listing.last_error if listing else "", refreshing=_refreshing(listing)))
        if not key.enabled or key_id:
            continue
        for e in entries:
            row = across.get(e["id"])
            if row is None:
                row = across[e["id"]] = ModelRow(id=e["id"], display_name=e.get("display_name") or e["id"],
                                                 sources=[], keys=[], description=e.get("description") or "")
            if e.get("source") not in row.sources:
                row.sources.append(e.get("source", ""))
            row.keys.append((key.pk, key.name, e.get("target") or e["id"]))
    return listings, sorted(across.values(), key=lambda r: r.id)


def listing_status() -> list[dict[str, Any]]:
    """Refresh progress of every key, for the models page's poller (1 query)."""
    keys = VertexKey.objects.select_related("listing").order_by("name")
    out = []
    for key in keys:
        listing = getattr(key, "listing", None)
        out.append({
            "key_id": key.pk, "name": key.name, "refreshing": _refreshing(listing),
            "count": len(listing.entries) if listing else 0,
            "fetched_at": listing.fetched_at.isoformat() if listing and listing.fetched_at else None,
            "stale": bool(listing and listing.stale), "error": listing.last_error if listing else "",
        })
    return out
