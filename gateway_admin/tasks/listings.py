"""Model-listing refresh and key health tasks: ids in, one service call, retries owned here."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from gateway_admin.celery import enqueue
from gateway_admin.models import VertexKey
from gateway_admin.services.listings import key_health_check, models_refresh

logger = logging.getLogger(__name__)

__all__ = ["keys_health_task", "keys_refresh_all_task", "models_refresh_task"]

MAX_RETRIES = 3
# 30 s, 60 s, 120 s: long enough for a Vertex 429/503 to pass, short against the beat interval.
RETRY_BASE_SECONDS = 30


@shared_task(bind=True, name="gateway_admin.models_refresh", max_retries=MAX_RETRIES, ignore_result=True)
def models_refresh_task(self: Any, key_id: int) -> dict[str, Any] | None:
    """Refresh one key's model listing; retry later when Vertex's failure may pass (429/5xx/network)."""
    outcome = models_refresh(key_id=int(key_id))
    if outcome is None:
        return None
    if not outcome.ok and outcome.retryable and not self.request.is_eager:
        # Eager mode runs inside a web request: a retry there would only make the admin wait.
        if self.request.retries < self.max_retries:
            raise self.retry(countdown=RETRY_BASE_SECONDS * 2**self.request.retries)
    return {"key_id": outcome.key_id, "ok": outcome.ok, "entries": outcome.entries}


@shared_task(name="gateway_admin.keys_refresh_all", ignore_result=True)
def keys_refresh_all_task() -> int:
    """Periodic: enqueue one refresh per key (each its own task, so one slow key delays no other)."""
    key_ids = list(VertexKey.objects.order_by("pk").values_list("pk", flat=True))
    for key_id in key_ids:
        enqueue("gateway_admin.models_refresh", key_id)
    return len(key_ids)


@shared_task(name="gateway_admin.keys_health", ignore_result=True)
def keys_health_task() -> int:
    """Periodic: check every enabled key (token, List Models status and latency) and record it."""
    checked = 0
    for key_id in VertexKey.objects.filter(enabled=True).order_by("pk").values_list("pk", flat=True):
        try:
            key_health_check(key_id=key_id)
        except Exception:
            # One key's unexpected failure must not leave the others unchecked.
            logger.exception("health check of key %s failed", key_id)
        checked += 1
    return checked
