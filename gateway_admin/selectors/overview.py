"""Reads behind the keys overview: every key's row (health, listing, attention) and the totals.

A fixed number of queries whatever the number of keys (bench/pages_bench.py measures it).
"""

from __future__ import annotations

from django.db.models import Count
from django.utils import timezone

from gateway_admin.key_cooldowns import key_cooldowns
from gateway_admin.models import AllowedModel, Deployment, VertexKey
from gateway_admin.selectors.keys import KeyRow, key_row
from gateway_admin.selectors.request_log import (
    ERROR,
    OVERVIEW_WINDOW,
    RequestLogFilters,
    request_log_counts,
    request_log_since,
    request_log_window,
)


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
    start, _ = request_log_window(OVERVIEW_WINDOW, now=now)
    stats = {
        r["key_id"]: r
        for r in request_log_since(RequestLogFilters(window=OVERVIEW_WINDOW), start)
        .filter(key__isnull=False).values("key_id")
        .annotate(calls=Count("id"), errors=Count("id", filter=ERROR))
    }
    cooldowns = key_cooldowns([str(k.pk) for k in keys])  # one cache read, not one per key
    rows = [key_row(k, stats, now, cooldowns) for k in keys]
    order = {"bad": 0, "warn": 1, "ok": 2, "disabled": 3}
    rows.sort(key=lambda r: (order[r.status], r.key.name.lower()))
    return rows


def overview_totals(rows: list[KeyRow]) -> dict[str, int]:
    """Key and model counts of the overview, and its calls and errors: those of the request log's
    OVERVIEW_WINDOW (`request_log_counts`, every logged call, with a key or without), so both pages
    show the same numbers."""
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
        **request_log_counts(RequestLogFilters(window=OVERVIEW_WINDOW)),
    }
