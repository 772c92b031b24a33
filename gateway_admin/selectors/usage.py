"""Reads of spend: usage totals and groupings from the daily rollup, budget status from the
counters, the overview's spend summary. Every function runs a fixed number of queries over
`UsageRollup` (never the request log), so a year of data stays fast (bench/pages_bench.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet, Sum

from gateway_admin.models import ApiToken, Budget, Team, UsageRollup, VertexKey
from gateway_admin.usage.budgets import from_nanos, to_nanos
from gateway_admin.usage.counters import counters
from gateway_admin.usage.periods import period_bounds

GROUPS = ("day", "model", "key", "user", "token")
_GROUP_COLUMN = {"day": "day", "model": "model", "key": "key_id", "user": "user_id", "token": "token_id"}
SUMS = ("calls", "errors", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
        "cost_nanos", "unpriced_calls")


@dataclass(frozen=True)
class UsageFilters:
    since: date
    until: date  # inclusive
    token_id: int | None = None
    user_id: int | None = None
    team_id: int | None = None
    key_id: int | None = None
    model: str = ""


def default_filters(*, days: int = 30, today: date | None = None, **kw: Any) -> UsageFilters:
    today = today or datetime.now(UTC).date()
    return UsageFilters(since=today - timedelta(days=days - 1), until=today, **kw)


def _rollups(f: UsageFilters) -> QuerySet[UsageRollup]:
    qs = UsageRollup.objects.filter(day__gte=f.since, day__lte=f.until)
    if f.token_id:
        qs = qs.filter(token_id=f.token_id)
    if f.user_id:
        qs = qs.filter(user_id=f.user_id)
    if f.team_id:
        qs = qs.filter(user_id__in=Team.members.through.objects.filter(team_id=f.team_id).values("user_id"))
    if f.key_id:
        qs = qs.filter(key_id=f.key_id)
    if f.model:
        qs = qs.filter(model=f.model)
    return qs


def cost_of(sums: dict[str, Any]) -> Decimal | None:
    """A group's cost; None ("no price") when every call in it was of a model without a price."""
    calls = int(sums.get("calls") or 0)
    if calls and int(sums.get("unpriced_calls") or 0) >= calls:
        return None
    return from_nanos(int(sums.get("cost_nanos") or 0))


@dataclass
class UsageRow:
    group: dict[str, Any]
    calls: int
    errors: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    unpriced_calls: int
    cost_usd: Decimal | None
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return " · ".join(self.labels.values()) or "all"


def _row(values: dict[str, Any], groups: list[str]) -> UsageRow:
    g = {name: values[_GROUP_COLUMN[name]] for name in groups}
    return UsageRow(group=g, calls=int(values["calls"] or 0), errors=int(values["errors"] or 0),
                    input_tokens=int(values["input_tokens"] or 0), output_tokens=int(values["output_tokens"] or 0),
                    cache_read_tokens=int(values["cache_read_tokens"] or 0),
                    cache_write_tokens=int(values["cache_write_tokens"] or 0),
                    unpriced_calls=int(values["unpriced_calls"] or 0), cost_usd=cost_of(values))


def usage_totals(f: UsageFilters) -> UsageRow:
    """Sums over the filters (1 query)."""
    values = _rollups(f).aggregate(**{s: Sum(s) for s in SUMS})
    return _row(values, [])


def usage_rows(f: UsageFilters, *, group_by: list[str], limit: int | None = None) -> list[UsageRow]:
    """Sums per group (day/model/key/user/token), most expensive first, then by calls (1 query +
    1 per named dimension for labels)."""
    columns = [_GROUP_COLUMN[g] for g in group_by]
    qs = (_rollups(f).order_by().values(*columns).annotate(**{s: Sum(s) for s in SUMS})
          .order_by(*(["day"] if "day" in group_by else []), "-cost_nanos", "-calls", *columns))
    rows = [_row(v, group_by) for v in (qs[:limit] if limit else qs)]
    label_rows(rows)
    return rows


def labels_for(kind: str, ids: set[int]) -> dict[int, str]:
    """Readable names of tokens, users or keys; deleted ones as "#id"."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    if kind == "token":
        found = {pk: f"{name} ({prefix}…)" for pk, name, prefix in
                 ApiToken.objects.filter(pk__in=ids).values_list("id", "name", "prefix")}
    elif kind == "user":
        found = dict(get_user_model().objects.filter(pk__in=ids).values_list("id", "username"))
    else:
        found = dict(VertexKey.objects.filter(pk__in=ids).values_list("id", "name"))
    return {i: found.get(i, f"{kind} #{i} (deleted)") for i in ids}


_NONE_LABEL = {"token": "(no token: playground)", "user": "(no user)", "key": "(no key)"}


def label_rows(rows: list[UsageRow]) -> None:
    if not rows:
        return
    names = {kind: labels_for(kind, {int(r.group[kind]) for r in rows}) for kind in ("token", "user", "key")
             if kind in rows[0].group}
    for r in rows:
        for kind, value in r.group.items():
            if kind in names:
                r.labels[kind] = names[kind].get(int(value), _NONE_LABEL[kind])
            elif kind == "day":
                r.labels[kind] = value.isoformat() if hasattr(value, "isoformat") else str(value)
            else:
                r.labels[kind] = str(value)


# ------------------------------------------------------------------ chart


@dataclass
class Segment:
    y: float
    h: float
    series: int
    label: str
    value: str


@dataclass
class ChartDay:
    x: float
    width: float
    label: str
    total: str
    segments: list[Segment]


@dataclass
class UsageChart:
    days: list[ChartDay]
    series: list[str]
    max_label: str
    ticks: list[tuple[float, str, str]]
    metric: str
    empty: bool
    width: int = 720
    height: int = 180


SERIES_SHOWN = 5


def _fmt(metric: str, v: float) -> str:
    if metric == "cost":
        return f"${v:,.2f}" if v >= 1 else f"${v:.4f}"
    return f"{int(v):,} tokens"


def _value(metric: str, sums: dict[str, Any]) -> float:
    if metric == "cost":
        return float(sums.get("cost_nanos") or 0) / 1e9
    return float((sums.get("input_tokens") or 0) + (sums.get("output_tokens") or 0))


@dataclass
class UsagePage:
    totals: UsageRow
    top: list[UsageRow]
    chart: UsageChart


@dataclass
class _Aggregate:
    per_day: dict[date, dict[str, int]]
    groups: dict[Any, dict[str, int]]
    series_values: list[Any]
    split: dict[date, dict[Any, float]]


def _aggregate(f: UsageFilters, col: str, metric: str, series_values: list[Any] | None = None) -> _Aggregate:
    """Three grouped scans: per day, per value of `col`, and per day x the chart's series."""
    sums = {s: Sum(s) for s in SUMS}
    per_day = {r["day"]: {s: int(r[s] or 0) for s in SUMS}
               for r in _rollups(f).order_by().values("day").annotate(**sums)}
    groups = {r[col]: {s: int(r[s] or 0) for s in SUMS}
              for r in _rollups(f).order_by().values(col).annotate(**sums)}
    if series_values is None:
        ranked = sorted(groups.items(), key=lambda kv: (-_value(metric, kv[1]), str(kv[0])))
        series_values = [v for v, g in ranked[:SERIES_SHOWN] if _value(metric, g) > 0]
    split: dict[date, dict[Any, float]] = {}
    if series_values:
        for r in (_rollups(f).filter(**{f"{col}__in": series_values}).order_by().values("day", col)
                  .annotate(**sums)):
            split.setdefault(r["day"], {})[r[col]] = _value(metric, r)
    return _Aggregate(per_day=per_day, groups=groups, series_values=series_values, split=split)


def _past_cache_seconds() -> float:
    from django.conf import settings

    return float(getattr(settings, "USAGE_PAST_CACHE_SECONDS", 600.0))


def _past_aggregate(f: UsageFilters, col: str, metric: str) -> _Aggregate:
    """Days before today do not change (calls are recorded as they end), so their aggregate is
    cached for USAGE_PAST_CACHE_SECONDS; only today's rows are read on every view."""
    import hashlib

    from django.core.cache import cache

    ttl = _past_cache_seconds()
    if ttl <= 0:
        return _aggregate(f, col, metric)
    key = "usage:past:" + hashlib.sha256(repr((f, col, metric)).encode()).hexdigest()[:32]
    hit = cache.get(key)
    if isinstance(hit, _Aggregate):
        return hit
    agg = _aggregate(f, col, metric)
    cache.set(key, agg, timeout=ttl)
    return agg


def usage_page(f: UsageFilters, *, by: str = "model", metric: str = "cost", top_n: int = 15) -> UsagePage:
    """Totals, the top `by` values and the chart for the Usage page: grouped scans of the rollup
    whose results stay small (days; values of `by`; days x the top five). Days before today come
    from a cached aggregate; the chart's series are the top five of those days (or of today alone)."""
    from dataclasses import replace as dc_replace

    col = _GROUP_COLUMN[by]
    today = datetime.now(UTC).date()
    if f.since < today <= f.until:
        past = _past_aggregate(dc_replace(f, until=today - timedelta(days=1)), col, metric)
        today_f = dc_replace(f, since=today)
        cur = _aggregate(today_f, col, metric, series_values=[])
        series_values = list(past.series_values)
        if len(series_values) < SERIES_SHOWN:
            # Fewer than five values had any use before today, so every one of them is a series and
            # today's newcomers have nothing before today: adding them keeps the chart exact.
            ranked_today = sorted(cur.groups.items(), key=lambda kv: (-_value(metric, kv[1]), str(kv[0])))
            series_values += [v for v, g in ranked_today if _value(metric, g) > 0 and v not in series_values
                              ][: SERIES_SHOWN - len(series_values)]
        if series_values:
            cur.split = _aggregate(today_f, col, metric, series_values=series_values).split
        per_day = {**past.per_day, **cur.per_day}
        split = {**past.split, **cur.split}
        groups = {k: dict(v) for k, v in past.groups.items()}
        for k, v in cur.groups.items():
            g = groups.setdefault(k, dict.fromkeys(SUMS, 0))
            for s in SUMS:
                g[s] += v[s]
    else:
        agg = _aggregate(f, col, metric)
        series_values, per_day, split, groups = agg.series_values, agg.per_day, agg.split, agg.groups
    totals = _row({s: sum(d[s] for d in per_day.values()) for s in SUMS}, [])
    ranked = sorted(groups.items(), key=lambda kv: (-kv[1]["cost_nanos"], -kv[1]["calls"], str(kv[0])))
    top = [_row({col: k, **v}, [by]) for k, v in ranked[:top_n]]
    label_rows(top)
    chart_split = {day: dict(b) for day, b in split.items()}
    for day, d in per_day.items():
        bucket = chart_split.setdefault(day, {})
        rest = _value(metric, d) - sum(bucket.values())
        if rest > 1e-12:
            bucket["__other__"] = rest
    if by in ("token", "user", "key"):
        names = labels_for(by, {int(v) for v in series_values})
        series = [names.get(int(v), _NONE_LABEL[by]) if v else _NONE_LABEL[by] for v in series_values]
    else:
        series = [str(v) for v in series_values]
    return UsagePage(totals=totals, top=top, chart=_layout(f, chart_split, [*series_values, "__other__"],
                                                           [*series, "other"], metric))


def usage_chart(f: UsageFilters, *, by: str = "model", metric: str = "cost") -> UsageChart:
    return usage_page(f, by=by, metric=metric).chart


def _layout(f: UsageFilters, per_day: dict[date, dict[Any, float]], series_keys: list[Any], series: list[str],
            metric: str) -> UsageChart:
    """Stacked bars per day for an inline SVG."""
    n = (f.until - f.since).days + 1
    width, height, pad_bottom, pad_top = 720, 180, 18, 6
    plot_h = height - pad_bottom - pad_top
    max_v = max((sum(b.values()) for b in per_day.values()), default=0.0)
    slot = width / n
    days = []
    for i in range(n):
        d = f.since + timedelta(days=i)
        bucket = per_day.get(d, {})
        y = float(pad_top + plot_h)
        segs = []
        for s_index, k in enumerate(series_keys):
            v = bucket.get(k, 0.0)
            if not v:
                continue
            h = plot_h * v / max_v if max_v else 0
            y -= h
            segs.append(Segment(y=round(y, 2), h=round(h, 2), series=s_index if k != "__other__" else 9,
                                label=series[s_index], value=_fmt(metric, v)))
        days.append(ChartDay(x=round(i * slot + 0.5, 2), width=round(max(slot - 1, 0.5), 2),
                             label=d.strftime("%b %-d"), total=_fmt(metric, sum(bucket.values())), segments=segs))
    tick_every = max(n // 6, 1)
    # The first label starts at the left edge rather than being cut in half by it.
    ticks = [(2.0 if i == 0 else round(i * slot + slot / 2, 2), days[i].label, "start" if i == 0 else "middle")
             for i in range(0, n, tick_every)]
    used = [s for s in series if any(seg.label == s for d in days for seg in d.segments)]
    return UsageChart(days=days, series=used, max_label=_fmt(metric, max_v), ticks=ticks, metric=metric,
                      empty=max_v == 0, width=width, height=height)


# ------------------------------------------------------------------ budgets


@dataclass
class BudgetStatus:
    budget: Budget
    scope_name: str
    used_usd: Decimal
    remaining_usd: Decimal
    percent: float
    state: str  # ok | warning | exceeded
    period_start: datetime
    resets_at: datetime | None


def _scope_name(b: Budget) -> str:
    if b.token_id:
        return f"token {b.token.name} ({b.token.prefix}…)"
    if b.user_id:
        return f"user {b.user.get_username()}"
    return f"team {b.team.name}"


def budget_statuses(budgets: list[Budget] | None = None, *, now: datetime | None = None) -> list[BudgetStatus]:
    """Spend against every budget (or `budgets`) in its current period: 1 query + 1 counter read."""
    now = now or datetime.now(UTC)
    if budgets is None:
        budgets = list(Budget.objects.select_related("token", "user", "team").order_by("id"))
    keys = []
    for b in budgets:
        start, _ = period_bounds(b.period, now)
        keys.append((b.pk, int(start.timestamp())))
    spent = counters().get_many(keys) if keys else []
    out = []
    for b, nanos in zip(budgets, spent, strict=True):
        start, resets = period_bounds(b.period, now)
        amount = to_nanos(b.amount_usd)
        percent = 100.0 * nanos / amount if amount else 100.0
        state = ("exceeded" if nanos >= amount else "warning"
                 if b.soft_limit_percent and percent >= b.soft_limit_percent else "ok")
        out.append(BudgetStatus(budget=b, scope_name=_scope_name(b), used_usd=from_nanos(nanos),
                                remaining_usd=max(b.amount_usd - from_nanos(nanos), Decimal(0)),
                                percent=round(percent, 1), state=state, period_start=start, resets_at=resets))
    return out


# ------------------------------------------------------------------ overview


@dataclass
class SpendSummary:
    today: UsageRow
    month: UsageRow
    top_users: list[UsageRow]
    top_tokens: list[UsageRow]
    budgets: list[BudgetStatus]

    @property
    def alerts(self) -> list[BudgetStatus]:
        return [b for b in self.budgets if b.state != "ok"]


def overview_spend(*, now: datetime | None = None) -> SpendSummary:
    now = now or datetime.now(UTC)
    today = now.date()
    month = UsageFilters(since=today.replace(day=1), until=today)
    return SpendSummary(
        today=usage_totals(UsageFilters(since=today, until=today)),
        month=usage_totals(month),
        top_users=usage_rows(month, group_by=["user"], limit=5),
        top_tokens=usage_rows(month, group_by=["token"], limit=5),
        budgets=budget_statuses(now=now),
    )
