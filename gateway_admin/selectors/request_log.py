"""Reads of the request log: the filtered rows, the calls-and-errors chart, the counts the overview
shares, one entry, and the playground's last stopped call.

Every function runs a fixed number of queries whatever the number of rows (bench/pages_bench.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from gateway_admin.models import RequestLog, VertexKey

REQUEST_LOG_PAGE_SIZE = 50
# window -> (span, bucket unit, bucket size): 12, 24 and 28 bars.
CHART_WINDOWS = {"1h": (timedelta(hours=1), "minute", 5), "24h": (timedelta(hours=24), "hour", 1),
                 "7d": (timedelta(days=7), "hour", 6)}


# The status logged for a call the caller stopped before the answer ended (nginx's "client closed").
CLIENT_CLOSED = 499
# What counts as a failed call, on every page: an answer of status 400 or above.
ERROR = Q(status__gte=400)
OVERVIEW_WINDOW = "24h"
COUNTS_DEFINITION = ("Calls are every entry of the request log in the window (playground and API, including "
                     "calls refused before any key was tried); errors are those answered with status 400 or above.")
# Operation -> the endpoint it was called on (the request log's Endpoint column).
ENDPOINTS = {"chat": "POST /v1/chat/completions", "responses": "POST /v1/responses",
             "embeddings": "POST /v1/embeddings", "images": "POST /v1/images", "videos": "/v1/videos",
             "models": "GET /v1/models", "messages": "POST /v1/messages"}


def request_endpoint(entry: RequestLog) -> str:
    """Where a logged call came in: the playground, or the /v1 endpoint of its operation."""
    if entry.source == RequestLog.Source.PLAYGROUND:
        return f"Playground {entry.operation}"
    return ENDPOINTS.get(entry.operation, entry.operation)


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
        qs = qs.exclude(ERROR)
    elif f.outcome == "error":
        qs = qs.filter(ERROR)
    return qs


def request_log_window(window: str, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    """(start, end) of a chart window: whole buckets ending at the next bucket boundary after now, so
    the chart's labels read 10:00, 11:00, ... The overview counts over the same span."""
    span, unit, step = CHART_WINDOWS.get(window, CHART_WINDOWS["24h"])
    now = now or timezone.now()
    bucket_len = timedelta(minutes=step) if unit == "minute" else timedelta(hours=step)
    step_s = bucket_len.total_seconds()
    end = datetime.fromtimestamp((int(now.timestamp() // step_s) + 1) * step_s, tz=now.tzinfo)
    return end - bucket_len * int(span / bucket_len), end


def request_log_since(f: RequestLogFilters, start: datetime) -> QuerySet[RequestLog]:
    """The calls matching the filters (their window ignored) since `start`."""
    return _filtered_requests(f).filter(created_at__gte=start)


def request_log_counts(f: RequestLogFilters) -> dict[str, int]:
    """{"calls", "errors"} in the filter's window: the one definition the overview and the request log
    share (COUNTS_DEFINITION says it in words). 1 query."""
    start, _ = request_log_window(f.window)
    return request_log_since(f, start).aggregate(calls=Count("id"), errors=Count("id", filter=ERROR))


def request_log_rows(f: RequestLogFilters, *, before_id: int | None = None,
                     limit: int = REQUEST_LOG_PAGE_SIZE) -> tuple[list[RequestLog], int | None]:
    """The newest calls matching the filters (1 query); returns the rows and the cursor for older ones."""
    qs = _filtered_requests(f).select_related("user", "token").defer("request_body", "response_body")
    if before_id:
        qs = qs.filter(id__lt=before_id)
    rows = list(qs.order_by("-id")[: limit + 1])
    more = rows[limit].id if len(rows) > limit else None
    rows = rows[:limit]
    for r in rows:
        r.endpoint = request_endpoint(r)  # type: ignore[attr-defined]
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
    bucket_len = timedelta(minutes=step) if unit == "minute" else timedelta(hours=step)
    n = int(span / bucket_len)
    start, _ = request_log_window(f.window)
    # One scan with a conditional count per bucket: portable, and far cheaper on SQLite than
    # truncating every row's timestamp in a Python function.
    aggregates: dict[str, Any] = {}
    for i in range(n):
        in_bucket = Q(created_at__gte=start + bucket_len * i, created_at__lt=start + bucket_len * (i + 1))
        aggregates[f"c{i}"] = Count("id", filter=in_bucket)
        aggregates[f"e{i}"] = Count("id", filter=in_bucket & ERROR)
    counts = request_log_since(f, start).aggregate(**aggregates)
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


def request_log_latest_stopped(*, user_id: int, model: str, within: timedelta = timedelta(minutes=2)
                               ) -> RequestLog | None:
    """The newest playground call of a user to a model that the user stopped (status 499), if it was
    logged within `within`: what the playground shows after Stop (1 query)."""
    return (RequestLog.objects.filter(source=RequestLog.Source.PLAYGROUND, user_id=user_id, model=model,
                                      status=CLIENT_CLOSED, created_at__gte=timezone.now() - within)
            .defer("request_body", "response_body").order_by("-id").first())


def request_log_entry(*, pk: int) -> RequestLog | None:
    entry = RequestLog.objects.select_related("user", "token").filter(pk=pk).first()
    if entry is not None:
        entry.endpoint = request_endpoint(entry)  # type: ignore[attr-defined]
    return entry
