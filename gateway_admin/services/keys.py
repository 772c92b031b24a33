"""Writes of Vertex keys: create, update, delete, import, export.

The request shape is the seed's: `{"name": ..., "enabled"?: bool, "weight"?: int,
"region_failover"?: "any" | "geography" | "off", "vertex_key_config": {project_id, project_number, region, auth_credentials, deployments,
deployment_regions, allowedModels}}`; `region_failover` is the key's own routing setting
(routing.residency), never inside vertex_key_config, which stays the seed's shape. Validation of the config itself is routing.config's
(`parse_vertex_key_config`), so the API, the dashboard and imports refuse exactly the same input.
Every write is one transaction, writes an audit row, and asks for a model-listing refresh on commit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from gateway_admin import routing_config
from gateway_admin.crypto import encrypt_credentials
from gateway_admin.models import AllowedModel, Deployment, VertexKey
from gateway_admin.selectors.keys import allowed_model_warnings, key_custom_ids
from gateway_admin.services.audit import audit_record, diff
from gateway_admin.services.errors import ServiceValidationError
from gateway_admin.services.listings import listing_refresh_enqueue
from routing.config import (
    ConfigError,
    ConfigErrors,
    ParsedKeyConfig,
    availability_warnings,
    parse_vertex_key_config,
)
from routing.residency import DEFAULT_REGION_FAILOVER

CONFIG = "vertex_key_config"
CREDENTIALS = "auth_credentials"
REGIONS_FIELD = "deployment_regions"
ADC = "application_default"

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}")
WEIGHT_MAX = 1000
FAILOVER_MODES = tuple(VertexKey.RegionFailover.values)
# Top-level fields of a key beside its vertex_key_config (API bodies, exports, imports).
KEY_FIELDS = ("name", "enabled", "weight", "region_failover")
# Column sizes of gateway_admin.models.keys; routing's validators do not know them.
_MAX_LEN = {"alias": 128, "target": 128, "region": 40, "model": 128, "project_number": 20}


# --- validation -------------------------------------------------------------------------------


def _check_name(name: Any, *, key: VertexKey | None, errors: dict[str, list[str]]) -> None:
    if not isinstance(name, str) or not name:
        errors["name"] = ["A name is required."]
    elif not NAME_RE.fullmatch(name):
        errors["name"] = [
            "Use 1-100 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit."
        ]
    elif VertexKey.objects.filter(name=name).exclude(pk=getattr(key, "pk", None)).exists():
        errors["name"] = [f'A key named "{name}" already exists.']


def _check_flags(enabled: Any, weight: Any, errors: dict[str, list[str]], region_failover: Any = None) -> None:
    if enabled is not None and not isinstance(enabled, bool):
        errors["enabled"] = ["Must be true or false."]
    if weight is not None and (
        isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= WEIGHT_MAX
    ):
        errors["weight"] = [f"Must be a whole number from 1 to {WEIGHT_MAX}."]
    if region_failover is not None and region_failover not in FAILOVER_MODES:
        errors["region_failover"] = [f"Must be one of {', '.join(FAILOVER_MODES)}."]


def _parse_config(config: Any, errors: dict[str, list[str]]) -> ParsedKeyConfig | None:
    if not isinstance(config, Mapping):
        errors[CONFIG] = ["Must be a JSON object (the seed's vertex_key_config)."]
        return None
    try:
        parsed = parse_vertex_key_config(dict(config), allowed_token_uris=tuple(settings.ALLOWED_TOKEN_URIS))
    except ConfigErrors as exc:
        for field, reasons in exc.errors.items():
            errors.setdefault(f"{CONFIG}.{field}", []).extend(reasons)
        return None
    except ConfigError as exc:
        errors.setdefault(f"{CONFIG}.{exc.field}", []).append(exc.message)
        return None
    _check_lengths(parsed, errors)
    return parsed


def _check_lengths(parsed: ParsedKeyConfig, errors: dict[str, list[str]]) -> None:
    for alias, target in parsed.deployments.items():
        if len(alias) > _MAX_LEN["alias"] or len(target) > _MAX_LEN["target"]:
            errors.setdefault(f"{CONFIG}.deployments.{alias[:40]}", []).append(
                "Aliases and targets are at most 128 characters."
            )
    for position, model in enumerate(parsed.allowedModels):
        if len(model) > _MAX_LEN["model"]:
            errors.setdefault(f"{CONFIG}.allowedModels[{position}]", []).append("At most 128 characters.")
    if len(parsed.project_number or "") > _MAX_LEN["project_number"]:
        errors.setdefault(f"{CONFIG}.project_number", []).append("At most 20 digits.")


def key_validate(
    *, name: Any, config: Any, enabled: Any = None, weight: Any = None, key: VertexKey | None = None,
    region_failover: Any = None,
) -> ParsedKeyConfig:
    """Check a whole key; raises ServiceValidationError listing every bad field. Saves nothing."""
    errors: dict[str, list[str]] = {}
    _check_name(name, key=key, errors=errors)
    _check_flags(enabled, weight, errors, region_failover)
    parsed = _parse_config(config, errors)
    if errors or parsed is None:
        raise ServiceValidationError(errors)
    return parsed


def key_warnings(parsed: ParsedKeyConfig, *, key: VertexKey | None = None) -> list[str]:
    """What saving is allowed with but should be told: deployments whose model the availability
    catalog says is not served in the chosen region, and allowedModels entries nothing serves."""
    catalog = routing_config.catalog()
    return [
        *availability_warnings(
            region=parsed.region,
            deployments=parsed.deployments,
            deployment_regions=parsed.deployment_regions,
            catalog=catalog,
        ),
        *allowed_model_warnings(deployments=parsed.deployments, allowed_models=parsed.allowedModels,
                                custom_ids=key_custom_ids(key), catalog=catalog),
    ]


# --- reads used by the writes -----------------------------------------------------------------


def key_config_dict(key: VertexKey) -> dict[str, Any]:
    """The key's vertex_key_config in the seed shape, WITHOUT auth_credentials."""
    deployments = list(key.deployments.all())
    return {
        "project_id": key.project_id,
        "project_number": key.project_number,
        "region": key.region,
        "deployments": {d.alias: d.target for d in deployments},
        REGIONS_FIELD: {d.alias: d.region_override for d in deployments if d.region_override},
        "allowedModels": [a.model_id for a in key.allowed_models.all()],
    }


def key_export(*, key: VertexKey) -> dict[str, Any]:
    """The key as an import item: name, enabled, weight, region_failover and the seed-shape config
    (no secret)."""
    return {"name": key.name, "enabled": key.enabled, "weight": key.weight,
            "region_failover": key.region_failover, CONFIG: key_config_dict(key)}


def key_credential_summary(key: VertexKey) -> dict[str, str]:
    """What pages and APIs show instead of the credential."""
    if key.uses_default_credentials:
        return {"type": ADC, "client_email": "", "private_key_id": "", "fingerprint": ""}
    return {
        "type": "service_account",
        "client_email": key.credential_client_email,
        "private_key_id": key.credential_private_key_id,
        "fingerprint": key.credential_fingerprint,
    }


def _snapshot(key: VertexKey) -> dict[str, Any]:
    """What the audit log compares. The credential appears only as its fingerprint."""
    snapshot = {"name": key.name, "enabled": key.enabled, "weight": key.weight,
                "region_failover": key.region_failover, **key_config_dict(key)}
    snapshot["credential"] = key.credential_fingerprint or ADC
    return snapshot


# --- writes -----------------------------------------------------------------------------------


def _store(key: VertexKey, parsed: ParsedKeyConfig, *, replace_credentials: bool) -> None:
    key.project_id = parsed.project_id
    key.project_number = parsed.project_number or ""
    key.region = parsed.region
    if replace_credentials:
        key.credentials_encrypted = encrypt_credentials(parsed.auth_credentials or "")
        info = parsed.credential
        key.credential_fingerprint = info.fingerprint if info else ""
        key.credential_client_email = info.client_email if info else ""
        key.credential_private_key_id = info.private_key_id if info else ""
    key.save()

    existing = {d.alias: d for d in key.deployments.all()}
    key.deployments.exclude(alias__in=list(parsed.deployments)).delete()
    for position, (alias, target) in enumerate(parsed.deployments.items()):
        row = existing.get(alias) or Deployment(key=key, alias=alias)
        row.target = target
        row.region_override = parsed.deployment_regions.get(alias, "")
        row.position = position
        row.save()

    key.allowed_models.all().delete()
    AllowedModel.objects.bulk_create(
        AllowedModel(key=key, model_id=model, position=position)
        for position, model in enumerate(parsed.allowedModels)
    )


def _refresh_on_commit(key_id: int) -> None:
    transaction.on_commit(lambda: listing_refresh_enqueue(key_id=key_id))


def _save_atomically(fn: Any) -> Any:
    try:
        with transaction.atomic():
            return fn()
    except IntegrityError as exc:
        # Two writers raced on the same name; the check above saw it free.
        raise ServiceValidationError({"name": ["A key with this name already exists."]}) from exc


def key_create(
    *, actor: Any, name: str, config: Mapping[str, Any], enabled: bool = True, weight: int = 1,
    region_failover: str = DEFAULT_REGION_FAILOVER,
) -> tuple[VertexKey, list[str]]:
    """Create a key from a seed-shape config. Returns (key, availability warnings)."""
    parsed = key_validate(name=name, config=config, enabled=enabled, weight=weight, region_failover=region_failover)

    def write() -> VertexKey:
        key = VertexKey(name=name, enabled=enabled, weight=weight, region_failover=region_failover)
        _store(key, parsed, replace_credentials=True)
        audit_record(actor=actor, action="create", obj=key, changes=diff({}, _snapshot(key)))
        _refresh_on_commit(key.pk)
        return key

    key = _save_atomically(write)
    return key, key_warnings(parsed)


def key_update(
    *,
    actor: Any,
    key: VertexKey,
    name: str | None = None,
    config: Mapping[str, Any] | None,
    partial: bool,
    enabled: bool | None = None,
    weight: int | None = None,
    region_failover: str | None = None,
) -> tuple[VertexKey, list[str]]:
    """Update a key. `partial`: the given config fields replace the stored ones, the rest stay.
    Not partial: the config replaces the stored one. Either way, no `auth_credentials` in the config
    keeps the stored secret ("" switches to Application Default Credentials)."""
    if config is None:
        if not partial:
            raise ServiceValidationError({CONFIG: ["Required when replacing a key."]})
        config = {}
    if not isinstance(config, Mapping):
        raise ServiceValidationError({CONFIG: ["Must be a JSON object (the seed's vertex_key_config)."]})
    merged: dict[str, Any] = {**key_config_dict(key), **config} if partial else dict(config)
    if partial and "deployments" in config and REGIONS_FIELD not in config and isinstance(config["deployments"], Mapping):
        # New deployments without new overrides: keep the overrides of the aliases that remain.
        merged[REGIONS_FIELD] = {
            alias: region for alias, region in merged[REGIONS_FIELD].items() if alias in config["deployments"]
        }
    replace_credentials = CREDENTIALS in config
    new_name = key.name if name is None else name
    parsed = key_validate(
        name=new_name,
        config=merged,
        enabled=enabled,
        weight=weight,
        key=key,
        region_failover=region_failover,
    )

    def write() -> VertexKey:
        locked = VertexKey.objects.select_for_update().get(pk=key.pk)
        before = _snapshot(locked)
        locked.name = new_name
        if enabled is not None:
            locked.enabled = enabled
        if weight is not None:
            locked.weight = weight
        if region_failover is not None:
            locked.region_failover = region_failover
        _store(locked, parsed, replace_credentials=replace_credentials)
        changes = diff(before, _snapshot(locked))
        if changes:
            audit_record(actor=actor, action="update", obj=locked, changes=changes)
        _refresh_on_commit(locked.pk)
        return locked

    updated = _save_atomically(write)
    return updated, key_warnings(parsed, key=updated)


@transaction.atomic
def key_delete(*, actor: Any, key: VertexKey) -> None:
    snapshot = _snapshot(key)
    audit_record(
        actor=actor,
        action="delete",
        object_type="vertexkey",
        object_id=str(key.pk),
        object_repr=key.name,
        changes=diff(snapshot, {}),
    )
    key.delete()


def keys_import(*, actor: Any, items: Any) -> list[VertexKey]:
    """Create or update (by name) every item, or nothing: errors name the item index and field."""
    if not isinstance(items, list) or not items:
        raise ServiceValidationError({"items": ["Send a non-empty JSON list of keys."]})
    errors: dict[str, list[str]] = {}
    plan: list[tuple[dict[str, Any], VertexKey | None]] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        prefix = f"[{index}]"
        if not isinstance(item, Mapping):
            errors[prefix] = ['Each item is an object: {"name": ..., "vertex_key_config": {...}}.']
            continue
        unknown = sorted(set(item) - {*KEY_FIELDS, CONFIG})
        for field in unknown:
            errors[f"{prefix}.{field}"] = ["Unknown field."]
        name = item.get("name")
        named = isinstance(name, str) and NAME_RE.fullmatch(name) is not None
        existing = VertexKey.objects.filter(name=name).first() if named else None
        if isinstance(name, str) and name in seen:
            errors[f"{prefix}.name"] = [f"Same name as item {seen[name]}."]
        elif isinstance(name, str):
            seen[name] = index
        try:
            key_validate(
                name=name, config=item.get(CONFIG), enabled=item.get("enabled"), weight=item.get("weight"),
                region_failover=item.get("region_failover"), key=existing,
            )
        except ServiceValidationError as exc:
            for field, reasons in exc.errors.items():
                errors.setdefault(f"{prefix}.{field}", []).extend(reasons)
        plan.append((dict(item), existing))
    if errors:
        raise ServiceValidationError(errors)

    def write() -> list[VertexKey]:
        keys = []
        for item, existing in plan:
            flags = {f: item[f] for f in ("enabled", "weight", "region_failover") if item.get(f) is not None}
            if existing is None:
                key, _ = key_create(actor=actor, name=item["name"], config=item[CONFIG], **flags)
            else:
                key, _ = key_update(actor=actor, key=existing, config=item[CONFIG], partial=False, **flags)
            keys.append(key)
        audit_record(
            actor=actor,
            action="import",
            object_type="vertexkey",
            object_repr=f"{len(keys)} keys",
            changes={"keys": [None, [k.name for k in keys]]},
        )
        return keys

    return _save_atomically(write)
