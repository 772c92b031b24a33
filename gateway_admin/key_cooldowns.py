"""Key cooldowns shared between web processes through the Django cache.

routing puts a key aside when it cannot mint a token or Vertex refuses its fresh token (401/403);
routing never imports Django, so the gateway hands it this store (`routing.retry.COOLDOWNS.shared`,
set in apps.py). With the local-memory cache (embedded mode, one process) it is shared within the
process, which is also where the overview reads it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.cache import cache

log = logging.getLogger(__name__)
PREFIX = "routing:key-cooldown:"


@dataclass(frozen=True)
class KeyCooldown:
    until: datetime
    reason: str


class CacheKeyCooldowns:
    """routing.retry.SharedKeyCooldowns over the Django cache. A cache outage never fails a call."""

    def put(self, key_id: str, seconds: float, reason: str) -> None:
        try:
            cache.set(PREFIX + key_id, {"until": time.time() + seconds, "reason": reason[:500]},
                      timeout=max(1, int(seconds + 0.999)))
        except Exception:  # sharing is best effort; the process's own cooldown stands
            log.warning("could not share the cooldown of key %s", key_id, exc_info=True)

    def remaining(self, key_id: str) -> float | None:
        hit = key_cooldown(key_id)
        return None if hit is None else hit.until.timestamp() - time.time()

    def drop(self, key_id: str) -> None:
        try:
            cache.delete(PREFIX + key_id)
        except Exception:
            log.warning("could not end the shared cooldown of key %s", key_id, exc_info=True)


def key_cooldown(key_id: str) -> KeyCooldown | None:
    """The key's cooldown as any process recorded it, or None (also when the cache is down)."""
    return key_cooldowns([key_id]).get(key_id)


def key_cooldowns(key_ids: list[str]) -> dict[str, KeyCooldown]:
    """The keys among `key_ids` that are put aside now, with until when and why (one cache read)."""
    try:
        hits = cache.get_many([PREFIX + key_id for key_id in key_ids]) if key_ids else {}
    except Exception:
        log.warning("could not read the shared key cooldowns", exc_info=True)
        return {}
    now = time.time()
    out: dict[str, KeyCooldown] = {}
    for name, hit in hits.items():
        if isinstance(hit, dict) and isinstance(hit.get("until"), float | int) and hit["until"] > now:
            out[name.removeprefix(PREFIX)] = KeyCooldown(
                until=datetime.fromtimestamp(hit["until"], UTC), reason=str(hit.get("reason") or ""))
    return out
