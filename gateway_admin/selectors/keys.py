"""Reads of Vertex keys: the list, warnings about a configuration, and a key's health."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils import timezone

from gateway_admin import routing_config
from gateway_admin.key_cooldowns import KeyCooldown, key_cooldowns
from gateway_admin.models import AllowedModel, Deployment, VertexKey
from gateway_admin.selectors.request_log import (
    ERROR,
    OVERVIEW_WINDOW,
    RequestLogFilters,
    request_log_since,
    request_log_window,
)
from routing.catalog import Catalog
from routing.config import availability_warnings


def key_list() -> QuerySet[VertexKey]:
    """Every key with what the API and pages show prefetched."""
    return VertexKey.objects.prefetch_related("deployments", "allowed_models").order_by("name")


def key_get(*, pk: int) -> VertexKey:
    return key_list().get(pk=pk)


def key_custom_ids(key: VertexKey | None) -> set[str] | None:
    """Ids and endpoint ids of the custom models last listed for the key; None when never listed."""
    listing = getattr(key, "listing", None) if key is not None and key.pk else None
    if listing is None or listing.fetched_at is None:
        return None
    ids: set[str] = set()
    for entry in listing.entries:
        if entry.get("source") == "custom":
            ids.update(x for x in (entry.get("id"), entry.get("endpoint_id")) if x)
    return ids


def allowed_model_warnings(*, deployments: Mapping[str, str], allowed_models: Iterable[str],
                           custom_ids: set[str] | None, catalog: Catalog | None = None) -> list[str]:
    """allowedModels entries nothing can serve: no deployment alias, no listed custom model and no
    model the catalog knows. Such an entry still shows in the model lists, but every call to it fails.

    An endpoint id (digits) is checked only against a listing that was fetched (`custom_ids` not None).
    """
    catalog = catalog if catalog is not None else routing_config.catalog()
    warnings = []
    for model_id in allowed_models:
        if model_id in deployments or catalog.model(model_id) is not None:
            continue
        if custom_ids is not None and model_id in custom_ids:
            continue
        if model_id.isdigit() and custom_ids is None:
            continue  # a tuned endpoint, not listed yet: the refresh after saving tells
        warnings.append(
            f"allowedModels: {model_id} is no deployment of this key, no custom model listed for it and no "
            "model the catalog knows, so calls to it will fail. Add a deployment with this alias "
            "(alias -> Vertex model id or endpoint id), or remove it from allowedModels.")
    return warnings


def key_stored_warnings(key: VertexKey, *, catalog: Catalog | None = None) -> list[str]:
    """Warnings about the stored configuration (the catalog and listing may have changed since it was
    saved): deployments not served in their region, allowedModels entries nothing serves."""
    catalog = catalog if catalog is not None else routing_config.catalog()
    deployments = list(key.deployments.all())
    targets = {d.alias: d.target for d in deployments}
    return [
        *availability_warnings(
            region=key.region,
            deployments=targets,
            deployment_regions={d.alias: d.region_override for d in deployments if d.region_override},
            catalog=catalog,
        ),
        *allowed_model_warnings(deployments=targets, allowed_models=[a.model_id for a in key.allowed_models.all()],
                                custom_ids=key_custom_ids(key), catalog=catalog),
    ]


# ---------------------------------------------------------------- health


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
    def headline(self) -> str:
        """The one thing to fix first (the first problem, else the first warning), or ""."""
        return (self.problems or self.warnings or [""])[0]

    @property
    def also(self) -> list[str]:
        """What else is wrong, behind the headline."""
        return (self.problems + self.warnings)[1:]

    @property
    def error(self) -> str:
        """The one error line to show with the headline: what the token endpoint, Vertex or the last
        call answered (the health check and the listing usually saw the same failure)."""
        return self.last_error or self.listing_error

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


def key_row(key: VertexKey, stats: dict[int, dict[str, int]], now: datetime,
            cooldowns: Mapping[str, KeyCooldown]) -> KeyRow:
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
    # One cause, one line: a credential that mints no token also fails the last call and the listing.
    cooldown = cooldowns.get(str(key.pk))
    if cooldown is not None:  # the most precise of the three: what failed, and until when
        row.problems.append(
            f"Out of rotation until {cooldown.until:%H:%M:%S} UTC, then retried: {cooldown.reason}")
    elif health is not None and health.token_ok is False:
        row.problems.append("No token could be minted with this credential.")
    elif row.last_error_at and (row.last_success_at is None or row.last_error_at > row.last_success_at):
        row.problems.append("The last call through this key failed.")
    if row.listing_stale and not row.problems:
        row.problems.append("The model list could not be refreshed; showing the last good one."
                            if row.listing_fetched_at else
                            "Vertex could not be asked for this key's models; only its configured ones are shown.")
    if row.deployment_count == 0 and row.allowed_count == 0 and row.custom_count == 0:
        row.warnings.append("No deployments or allowed models: this key serves nothing yet.")
    if row.listing_fetched_at is None:
        if not row.problems:
            row.warnings.append("Models have never been listed for this key.")
    elif now - row.listing_fetched_at > _stale_after():
        row.warnings.append("The model list is older than two refresh periods.")
    if row.calls_24h and row.errors_24h * 2 >= row.calls_24h:
        row.warnings.append("Half or more of the calls in the last 24 hours failed.")
    return row


def key_health_row(*, key: VertexKey) -> KeyRow:
    """One key's health as the overview shows it, for the key's own page (4 queries)."""
    now = timezone.now()
    key = VertexKey.objects.select_related("health", "listing").get(pk=key.pk)
    key.deployment_count = Deployment.objects.filter(key=key).count()  # type: ignore[attr-defined]
    key.allowed_count = AllowedModel.objects.filter(key=key).count()  # type: ignore[attr-defined]
    start, _ = request_log_window(OVERVIEW_WINDOW, now=now)
    counts = request_log_since(RequestLogFilters(key_id=key.pk), start).aggregate(
        calls=Count("id"), errors=Count("id", filter=ERROR))
    return key_row(key, {key.pk: counts}, now, key_cooldowns([str(key.pk)]))
