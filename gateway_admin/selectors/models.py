"""Reads of the stored model listings: per key, all keys, and the /v1/models view.

Every selector here makes a fixed number of SQL queries however many keys and entries there are:
the listing and health are one-to-one with the key and come in with `select_related`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from gateway_admin.models import KeyHealth, ModelListing, VertexKey
from routing.config import ConfigError
from routing.families import adapter_for

# The jobs a model picker is for, as the family adapters name them (routing/families).
JOBS = ("chat", "embeddings", "images", "video")


def target_capabilities(target: str) -> tuple[str, ...]:
    """The jobs of `JOBS` the family adapter of a resolved target supports (none for an unknown target)."""
    try:
        adapter = adapter_for(target)
    except ConfigError:
        return ()
    return tuple(job for job in JOBS if adapter.supports(job))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _related(key: VertexKey, name: str) -> Any:
    # A missing one-to-one row raises RelatedObjectDoesNotExist, an AttributeError.
    return getattr(key, name, None)


def listing_state(*, key: VertexKey, listing: ModelListing | None) -> dict[str, Any]:
    """A key's listing as the API and pages show it (entries plus freshness and the last error)."""
    requested = listing.refresh_requested_at if listing else None
    fetched = listing.fetched_at if listing else None
    started = listing.refresh_started_at if listing else None
    failed = listing.last_error_at if listing else None
    return {
        "key_id": key.pk,
        "key_name": key.name,
        "enabled": key.enabled,
        "project_id": key.project_id,
        "region": key.region,
        "entries": list(listing.entries) if listing else [],
        "count": len(listing.entries) if listing else 0,
        "fetched_at": _iso(fetched),
        "stale": bool(listing.stale) if listing else False,
        "last_error": listing.last_error if listing else "",
        "last_error_at": _iso(failed),
        "refresh_requested_at": _iso(requested),
        "refresh_started_at": _iso(started),
        # Pending: asked for (or running) and not finished since.
        "refreshing": bool(
            started is not None
            or (requested is not None and (fetched is None or requested > fetched)
                and (failed is None or requested > failed))
        ),
    }


def health_state(health: KeyHealth | None) -> dict[str, Any] | None:
    """What the last check saw of a key; `ok` is the verdict of that check."""
    if health is None or health.checked_at is None:
        return None
    return {
        "ok": bool(health.token_ok) and health.list_status == 200,
        "checked_at": _iso(health.checked_at),
        "token_ok": health.token_ok,
        "token_error": health.token_error,
        "list_status": health.list_status,
        "list_latency_ms": health.list_latency_ms,
        "last_success_at": _iso(health.last_success_at),
        "last_error": health.last_error,
        "last_error_at": _iso(health.last_error_at),
    }


def models_for_key(*, key: VertexKey) -> dict[str, Any]:
    """One key's stored listing (one query, none if `listing` was select_related)."""
    cache = key._state.fields_cache
    if "listing" in cache:
        listing = cache["listing"]
    else:
        listing = ModelListing.objects.filter(key_id=key.pk).first()
    return listing_state(key=key, listing=listing)


def _keys_with_listings(*, enabled_only: bool = False) -> QuerySet[VertexKey]:
    keys = VertexKey.objects.select_related("listing", "health").order_by("name")
    return keys.filter(enabled=True) if enabled_only else keys


def models_all() -> list[dict[str, Any]]:
    """Every key's listing with its health, ordered by key name. One SQL query."""
    return [
        {**listing_state(key=key, listing=_related(key, "listing")), "health": health_state(_related(key, "health"))}
        for key in _keys_with_listings()
    ]


def merge_across_keys(listings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per model id over the given key listings (first key, by name, describes it)."""
    merged: dict[str, dict[str, Any]] = {}
    for listing in listings:
        for entry in listing["entries"]:
            model_id = entry["id"]
            seen = merged.get(model_id)
            if seen is None:
                merged[model_id] = {**entry, "key_ids": [listing["key_id"]], "key_names": [listing["key_name"]]}
            elif listing["key_id"] not in seen["key_ids"]:
                seen["key_ids"].append(listing["key_id"])
                seen["key_names"].append(listing["key_name"])
    return list(merged.values())


def models_for_v1() -> list[dict[str, Any]]:
    """The /v1/models list: merged across enabled keys, one entry per id (usable as `model`).

    Each item: id, display_name, source, target, endpoint_id, description, created, key_ids,
    key_names (the keys that carry it). One SQL query.
    """
    listings = [
        {"key_id": key.pk, "key_name": key.name, "entries": listing.entries}
        for key in VertexKey.objects.filter(enabled=True).select_related("listing").order_by("name")
        if (listing := _related(key, "listing")) is not None
    ]
    return merge_across_keys(listings)


# ---------------------------------------------------------------- the Models page


@dataclass
class ModelRow:
    id: str
    display_name: str
    sources: list[str]
    keys: list[tuple[int, str, str]]  # (key id, key name, target)
    description: str = ""
    capabilities: list[str] = field(default_factory=list)  # selectors.models.JOBS its targets can do

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
            target = e.get("target") or e["id"]
            row.keys.append((key.pk, key.name, target))
            row.capabilities.extend(c for c in target_capabilities(target) if c not in row.capabilities)
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
