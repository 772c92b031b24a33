"""The one bridge from ORM rows and settings to routing (KeyConfig, Deployment, Catalog, Router,
the transport's pool and timeouts, the Vertex base URL).

`config_generation()` moves on after every committed change to what routing reads (keys, their
deployments and allowedModels, stored listings, availability overrides), so the cached routing
state of this process reloads at its next call (gateway_admin/pipeline/state.py); other processes
reload within GATEWAY_CONFIG_CACHE_SECONDS.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from gateway_admin.crypto import CredentialDecryptError, decrypt_credentials
from gateway_admin.models import AllowedModel, AvailabilityOverride, ModelListing, VertexKey
from gateway_admin.models import Deployment as DeploymentRow
from routing.catalog import Catalog
from routing.config import Deployment, KeyConfig
from routing.retry import RetryPolicy

if TYPE_CHECKING:
    from routing.router import Router

logger = logging.getLogger(__name__)


def key_label(key: VertexKey) -> str:
    return f'key "{key.name}" (id {key.pk})'


def key_config(key: VertexKey) -> KeyConfig:
    """A routing KeyConfig for one key, credential decrypted. Raises CredentialDecryptError."""
    credentials = decrypt_credentials(key.credentials_encrypted, label=key_label(key))
    deployments = tuple(
        Deployment(alias=d.alias, target=d.target, region=d.region_override or None, enabled=d.enabled)
        for d in key.deployments.all()
    )
    return KeyConfig(
        key_id=str(key.pk),
        name=key.name,
        project_id=key.project_id,
        region=key.region,
        project_number=key.project_number,
        credentials=credentials,
        credential_fingerprint=key.credential_fingerprint,
        deployments=deployments,
        allowed_models=tuple(a.model_id for a in key.allowed_models.all()),
        enabled=key.enabled,
        weight=key.weight,
        allowed_token_uris=tuple(settings.ALLOWED_TOKEN_URIS),
        region_failover=key.region_failover,
    )


def listed_custom_deployments(key: VertexKey, config: KeyConfig) -> tuple[Deployment, ...]:
    """Deployments (endpoint id -> endpoint id) for the deployed custom models the key's stored listing
    shows under their own endpoint id (no alias points at them), so that every id GET /v1/models
    lists is callable. The listing already applied allowedModels, and the router applies it again.
    Reads `key.listing` (select_related it to avoid a query per key)."""
    listing = getattr(key, "listing", None)  # a missing one-to-one row raises an AttributeError subclass
    if listing is None:
        return ()
    taken = {d.alias for d in config.deployments if d.enabled}
    extra: list[Deployment] = []
    for entry in listing.entries or ():
        endpoint_id = str(entry.get("endpoint_id") or "")
        if (entry.get("source") != "custom" or not endpoint_id.isdigit() or entry.get("id") != endpoint_id
                or endpoint_id in taken):
            continue
        taken.add(endpoint_id)
        extra.append(Deployment(alias=endpoint_id, target=endpoint_id))
    return tuple(extra)


def routable_key_config(key: VertexKey) -> KeyConfig:
    """`key_config(key)` plus the key's listed custom models that no alias names (routing only)."""
    config = key_config(key)
    extra = listed_custom_deployments(key, config)
    return dataclasses.replace(config, deployments=config.deployments + extra) if extra else config


def key_configs(keys: Iterable[VertexKey]) -> list[KeyConfig]:
    """Routable KeyConfigs for the given rows; a row whose credential cannot be decrypted is left out
    and logged (one broken row must not take the other keys down; `check_credentials` names it)."""
    configs = []
    for key in keys:
        try:
            configs.append(routable_key_config(key))
        except CredentialDecryptError as exc:
            logger.error("%s; the key is skipped for routing", exc)
    return configs


def enabled_key_configs() -> list[KeyConfig]:
    """Every enabled key as the router sees it: its deployments, and its listed custom models."""
    keys = (VertexKey.objects.filter(enabled=True).select_related("listing")
            .prefetch_related("deployments", "allowed_models"))
    return key_configs(keys)


def catalog() -> Catalog:
    """The seed-built availability catalog with the admins' AvailabilityOverride rows applied."""
    overrides = {(o.model_id, o.region): o.served for o in AvailabilityOverride.objects.all()}
    return Catalog(overrides=overrides)


def router(keys: Sequence[KeyConfig] | None = None) -> Router:
    """A Router over `keys` (default: every enabled key), with the DB catalog and settings' base URL."""
    from routing.router import Router  # imported lazily: the router is heavy and optional here

    return Router(
        list(keys) if keys is not None else enabled_key_configs(),
        catalog=catalog(),
        base_url=base_url(),
        policy=retry_policy(),
    )


def retry_policy() -> RetryPolicy:
    """Routing's retry policy with the VERTEX_* timeouts (each attempt's connect and read waits)."""
    return RetryPolicy(timeout=float(settings.VERTEX_TIMEOUT_SECONDS),
                       connect_timeout=float(settings.VERTEX_CONNECT_TIMEOUT_SECONDS))


def base_url() -> str | None:
    """The operator's override of the Vertex host (the emulator, a private endpoint), or None."""
    return settings.VERTEX_BASE_URL or None


def configure_transport() -> None:
    """Apply the VERTEX_* pool and timeout settings to routing's pooled clients (at start-up;
    clients made before keep theirs until `routing.transport.aclose()`)."""
    from routing import transport

    transport.configure(
        read_timeout=float(settings.VERTEX_TIMEOUT_SECONDS),
        connect_timeout=float(settings.VERTEX_CONNECT_TIMEOUT_SECONDS),
        max_connections=int(settings.VERTEX_MAX_CONNECTIONS),
        keepalive_expiry=float(settings.VERTEX_KEEPALIVE_SECONDS),
    )


# -- invalidation --------------------------------------------------------------------------------

_generation = 0


def config_generation() -> int:
    """A number that moves on after each committed change to routing's configuration."""
    return _generation


def _bump() -> None:
    global _generation
    _generation += 1


def _changed(sender: object, **kwargs: object) -> None:
    transaction.on_commit(_bump)


for _model in (VertexKey, DeploymentRow, AllowedModel, ModelListing, AvailabilityOverride):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"routing-config-{_model.__name__}")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"routing-config-delete-{_model.__name__}")
