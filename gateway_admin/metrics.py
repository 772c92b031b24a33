"""Prometheus metrics: what the pipeline observes per call, and the /metrics scrape.

prometheus-client runs in multiprocess mode: every web process writes its samples to files under
PROMETHEUS_MULTIPROC_DIR (settings.py sets it below VAR_DIR when unset, before this module is
imported) and a scrape sums them, so several uvicorn workers report as one. Budget gauges are
computed at scrape time from the shared counters, not kept per process.

    metrics_observe(entry)                 one call (any object with RequestLogEntry's attributes)
    metrics_token_mint(key=..., ok=...)    one OAuth token mint; plain arguments, so routing can be
                                           handed it as a callback without importing Django or this
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

CALL_LABELS = ("surface", "model", "key", "region")
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

REQUESTS = Counter("vga_requests_total", "Calls through the gateway, by outcome status.", [*CALL_LABELS, "status"])
ERRORS = Counter("vga_request_errors_total", "Calls that failed, by error type.", [*CALL_LABELS, "error_type"])
LATENCY = Histogram("vga_request_latency_seconds", "Whole-call latency.", CALL_LABELS, buckets=LATENCY_BUCKETS)
TTFT = Histogram("vga_time_to_first_token_seconds", "Time to the first streamed token.", CALL_LABELS,
                 buckets=LATENCY_BUCKETS)
TOKENS = Counter("vga_tokens_total", "Tokens by kind (input, output, cache_read, cache_write).",
                 ["surface", "model", "key", "kind"])
COST = Counter("vga_cost_usd_total", "Cost in USD of priced calls.", ["surface", "model", "key"])
UNPRICED = Counter("vga_unpriced_calls_total", "Calls of models without a price.", ["surface", "model"])
FAILOVERS = Counter("vga_failovers_total", "Moves to another region or key within a call.", ["surface", "model"])
UPSTREAM_429 = Counter("vga_upstream_429_total", "429 answers from Vertex, per attempt.", ["model", "key", "region"])
TOKEN_MINTS = Counter("vga_token_mints_total", "Google OAuth access tokens minted.", ["key", "outcome"])


def _model_label(entry: Any) -> str:
    # A client can send any model name; only a resolved target (or a model a key answered for) becomes
    # a label, so a typo storm cannot create unbounded series.
    target = getattr(entry, "target", "") or ""
    if target:
        return str(target)[:128]
    return str(getattr(entry, "model", "") or "")[:128] if getattr(entry, "key_id", None) else "(unresolved)"


def metrics_observe(entry: Any) -> None:
    """Count one call. Never raises: metrics must not fail a call."""
    try:
        _observe(entry)
    except Exception:
        import logging

        logging.getLogger(__name__).exception("metrics_observe failed")


def _observe(entry: Any) -> None:
    surface = str(getattr(entry, "surface", "") or getattr(entry, "source", "") or "unknown")
    model = _model_label(entry)
    key = str(getattr(entry, "key_name", "") or "")
    region = str(getattr(entry, "region", "") or "")
    status = int(getattr(entry, "status", 0) or 0)
    labels = (surface, model, key, region)
    REQUESTS.labels(*labels, str(status)).inc()
    if status >= 400:
        ERRORS.labels(*labels, str(getattr(entry, "error_type", "") or "error")).inc()
    latency = getattr(entry, "latency_ms", None)
    if latency is not None:
        LATENCY.labels(*labels).observe(float(latency) / 1000)
    ttft = getattr(entry, "ttft_ms", None)
    if ttft is not None:
        TTFT.labels(*labels).observe(float(ttft) / 1000)
    for kind in ("input", "output", "cache_read", "cache_write"):
        n = getattr(entry, f"{kind}_tokens", None)
        if n:
            TOKENS.labels(surface, model, key, kind).inc(int(n))
    cost = getattr(entry, "cost_usd", None)
    if cost is not None:
        COST.labels(surface, model, key).inc(float(cost))
    elif status < 400:
        UNPRICED.labels(surface, model).inc()
    failovers = int(getattr(entry, "failovers", 0) or 0)
    if failovers:
        FAILOVERS.labels(surface, model).inc(failovers)
    for attempt in getattr(entry, "route", None) or ():
        if isinstance(attempt, dict) and attempt.get("status") == 429:
            UPSTREAM_429.labels(model, str(attempt.get("key_name") or key), str(attempt.get("region") or "")).inc()


def metrics_token_mint(*, key: str, ok: bool) -> None:
    TOKEN_MINTS.labels(key, "ok" if ok else "error").inc()


class BudgetCollector(Collector):
    """Budget limit, used and remaining USD per budget, read from the shared counters at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from gateway_admin.selectors.usage import budget_statuses

        labels = ["budget", "scope", "name", "period"]
        limit = GaugeMetricFamily("vga_budget_limit_usd", "Budget amount per period.", labels=labels)
        used = GaugeMetricFamily("vga_budget_used_usd", "Spend in the budget's current period.", labels=labels)
        remaining = GaugeMetricFamily("vga_budget_remaining_usd", "Amount left in the current period.",
                                      labels=labels)
        for s in budget_statuses():
            values = [str(s.budget.pk), s.budget.scope, s.scope_name, s.budget.period]
            limit.add_metric(values, float(s.budget.amount_usd))
            used.add_metric(values, float(s.used_usd))
            remaining.add_metric(values, float(s.remaining_usd))
        yield limit
        yield used
        yield remaining


def render_metrics(*, path: str | None = None, budgets: bool = True) -> bytes:
    """The Prometheus text of every process that wrote to the multiprocess directory."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=path)
    if budgets:
        registry.register(BudgetCollector())
    return generate_latest(registry)


def _forwarded(request: HttpRequest) -> bool:
    return any(h in request.META for h in ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP"))


def _allowed(request: HttpRequest) -> tuple[bool, int]:
    token = getattr(settings, "METRICS_TOKEN", "")
    networks = getattr(settings, "METRICS_ALLOWED_NETWORKS", [])
    if token:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer ") and hmac.compare_digest(header[7:].encode(), token.encode()):
            return True, 200
    try:
        addr = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False, 403
    if networks:
        if any(addr in ipaddress.ip_network(n, strict=False) for n in networks):
            return True, 200
    elif not token and addr.is_loopback and not _forwarded(request):
        # Loopback only when nothing is configured, and never through a local reverse proxy (which
        # would make every outside scraper look local).
        return True, 200
    return False, 401 if token else 403


def metrics_view(request: HttpRequest) -> HttpResponse:
    ok, status = _allowed(request)
    if not ok:
        response = HttpResponse("Scraping needs the METRICS_TOKEN bearer token or an allowed address.\n",
                                status=status, content_type="text/plain")
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE_LATEST)
