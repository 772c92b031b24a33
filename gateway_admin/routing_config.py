"""The one bridge from ORM rows to routing dataclasses (KeyConfig, Deployment, Catalog, Router)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from asgiref.sync import sync_to_async
from django.conf import settings

from gateway_admin.crypto import CredentialDecryptError, decrypt_credentials
from gateway_admin.models import AvailabilityOverride, VertexKey
from routing.catalog import Catalog
from routing.config import Deployment, KeyConfig

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


async def aenabled_key_configs() -> list[KeyConfig]:
    return await sync_to_async(enabled_key_configs, thread_sensitive=True)()


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
        base_url=settings.VERTEX_BASE_URL or None,
    )


async def arouter(keys: Sequence[KeyConfig] | None = None) -> Router:
    return await sync_to_async(router, thread_sensitive=True)(keys)
