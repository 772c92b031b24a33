"""What the key pages need from the rest of the product, in one place: pickers from the catalog,
saving through services.keys, instant credential checks, the merged preview and Test connection."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from django.conf import settings

from gateway_admin import routing_config
from gateway_admin.crypto import CredentialDecryptError
from gateway_admin.models import VertexKey
from gateway_admin.selectors.keys import allowed_model_warnings, key_custom_ids
from gateway_admin.services import keys as key_services
from gateway_admin.services import listings as listing_services
from gateway_admin.services.errors import ServiceValidationError
from routing import catalog as routing_catalog
from routing import config as routing_config_mod
from routing.list_models import check_key
from routing.residency import DEFAULT_REGION_FAILOVER

# Shown beside the region picker; from seeds 000 (global endpoint) and 002 (Claude on Vertex).
REGION_NOTES = {
    "global": ("Global endpoint: Google routes each request to any region with capacity, which gives the "
               "best availability and fewer 429 (resource exhausted) errors, and no regional price premium. "
               "No data residency, no Provisioned Throughput for most models, no tuning or batch."),
    "multi": ("Multi-region endpoint (us / eu): requests stay within the geography, with more capacity than a "
              "single region. Check that your models are served there."),
    "regional": ("Regional endpoint: data is processed in this region (data residency) and Provisioned "
                 "Throughput is supported, but availability is tied to one region, 429s are more likely, and "
                 "Claude Sonnet 4.5 and later cost 10% more than on the global endpoint."),
}


def picker_context() -> dict[str, Any]:
    """Region groups and model suggestions for the key form's pickers."""
    groups = [(geo, [{"id": r.id, "label": r.label} for r in regions])
              for geo, regions in routing_catalog.region_groups()]
    models = routing_config.catalog().known_models()
    return {
        "region_groups": groups,
        "known_models": sorted(models, key=lambda m: m["id"]),
        "region_notes": REGION_NOTES,
        "region_notes_json": json.dumps(REGION_NOTES),
    }


def save_key(*, actor: Any, key: VertexKey | None, name: str, config: dict[str, Any], enabled: bool,
             weight: int, region_failover: str | None = None) -> tuple[VertexKey, list[str]]:
    """Create or replace a key; `region_failover` None keeps the stored mode (or the default)."""
    if key is None:
        return key_services.key_create(actor=actor, name=name, config=config, enabled=enabled, weight=weight,
                                       region_failover=region_failover or DEFAULT_REGION_FAILOVER)
    return key_services.key_update(actor=actor, key=key, name=name, config=config, partial=False,
                                   enabled=enabled, weight=weight, region_failover=region_failover)


def delete_key(*, actor: Any, key: VertexKey) -> None:
    key_services.key_delete(actor=actor, key=key)


def credential_sentence(message: str) -> str:
    """A credential reason as a whole sentence naming the field. Routing's reasons are written to
    follow the field name ("auth_credentials: is not valid JSON (line 1, column 42): ..."), which
    beside the form field reads as half a sentence."""
    if not message or not message[0].islower():
        return message
    if message.startswith(("is ", "must ")):
        return f"The service-account JSON {message}"
    return f"In the service-account JSON, {message}"


def credential_identity(raw: str) -> dict[str, Any]:
    """{ok, client_email, private_key_id, fingerprint, project_id} or {ok: False, error}. Never the secret."""
    if not raw:
        return {"ok": False, "error": "Paste or upload the service-account JSON."}
    try:
        info = routing_config_mod.parse_service_account(
            raw, allowed_token_uris=tuple(settings.ALLOWED_TOKEN_URIS))
    except routing_config_mod.ConfigError as exc:
        return {"ok": False, "error": credential_sentence(exc.message)}
    if info is None:
        return {"ok": False, "error": "Paste or upload the service-account JSON."}
    return {"ok": True, "client_email": info.client_email, "private_key_id": info.private_key_id,
            "fingerprint": info.fingerprint, "project_id": info.project_id}


def merged_preview(*, key: VertexKey | None, project_id: str, region: str, deployments: dict[str, str],
                   deployment_regions: dict[str, str], allowed: list[str]) -> dict[str, Any]:
    """The merged model list this form would produce (the saved key's custom models kept), its
    availability warnings, and any field the configuration would be refused for."""
    config: dict[str, Any] = {
        # The preview must work before the project is typed; the placeholder is never saved.
        "project_id": project_id or "preview-project",
        "region": region or "global",
        "deployments": deployments,
        "allowedModels": allowed,
    }
    if deployment_regions:
        config["deployment_regions"] = deployment_regions
    entries: list[dict[str, Any]] = []
    errors: list[str] = []
    warnings: list[str] = []
    try:
        preview = listing_services.models_preview(config=config, key_id=key.pk if key else None)
        entries = list(preview["entries"])
    except ServiceValidationError as exc:
        for field_name, reasons in exc.errors.items():
            label = field_name.removeprefix("vertex_key_config.")
            errors.extend(f"{label}: {reason}" for reason in reasons)
    else:
        catalog = routing_config.catalog()
        try:
            warnings = list(routing_config_mod.availability_warnings(
                region=config["region"], deployments=deployments, deployment_regions=deployment_regions,
                catalog=catalog))
        except routing_config_mod.ConfigError as exc:
            warnings = [exc.message]
        warnings += allowed_model_warnings(deployments=deployments, allowed_models=allowed,
                                           custom_ids=key_custom_ids(key), catalog=catalog)
    restrict = set(allowed)
    hidden = [alias for alias in deployments if restrict and alias not in restrict] if not errors else []
    return {"entries": entries, "warnings": warnings, "errors": errors, "hidden": hidden,
            "counts": {s: sum(1 for e in entries if e.get("source") == s)
                       for s in ("custom", "deployment", "allowed")}}


def saved_key_config(key: VertexKey) -> tuple[routing_config_mod.KeyConfig | None, dict[str, str]]:
    """The saved key's KeyConfig (credential decrypted), or why it cannot be built."""
    try:
        return key_config_safe(key), {}
    except CredentialDecryptError as exc:
        return None, {"credentials": str(exc)}


def draft_key_config(*, key: VertexKey | None, project_id: str, region: str, project_number: str,
                     credentials: str, use_adc: bool) -> tuple[routing_config_mod.KeyConfig | None, dict[str, str]]:
    """A KeyConfig from the form as it stands (not saved), for Test connection before saving.

    Without a pasted credential, an existing key's stored credential is used (decrypted here, never
    sent to the page). Returns (config, {field: reason}) with config None when a field is bad."""
    errors: dict[str, str] = {}
    checks = ((routing_config_mod.validate_project_id, project_id, "project_id"),
              (routing_config_mod.validate_region, region, "region"))
    for check, value, name in checks:
        try:
            check(value)
        except routing_config_mod.ConfigError as exc:
            errors[name] = exc.message
    if project_number:
        try:
            routing_config_mod.validate_project_number(project_number)
        except routing_config_mod.ConfigError as exc:
            errors["project_number"] = exc.message
    stored = None
    if credentials:
        identity = credential_identity(credentials)
        if not identity["ok"]:
            errors["credentials"] = identity["error"]
    elif not use_adc:
        if key is None or key.uses_default_credentials:
            errors["credentials"] = "Paste or upload the service-account JSON first."
        else:
            try:
                stored = key_config_safe(key)
            except CredentialDecryptError as exc:
                errors["credentials"] = str(exc)
    if errors:
        return None, errors
    config = routing_config_mod.KeyConfig(
        key_id=f"draft-{key.pk}" if key else "draft", name=key.name if key else "draft",
        project_id=project_id, region=region, project_number=project_number,
        credentials=credentials or (stored.credentials if stored else ""),
        credential_fingerprint=stored.credential_fingerprint if stored else "",
        allowed_token_uris=tuple(settings.ALLOWED_TOKEN_URIS))
    return config, {}


async def test_draft(config: routing_config_mod.KeyConfig, *, base_url: str | None) -> dict[str, Any]:
    try:
        check = await asyncio.wait_for(check_key(config, base_url=base_url), timeout=60)
    except TimeoutError:
        return {"ok": False, "token_ok": False, "error": "No answer within 60 seconds.", "error_type": "timeout"}
    return check.as_dict()


def key_config_safe(key: VertexKey) -> routing_config_mod.KeyConfig:
    return routing_config.key_config(key)
