"""Model listings and key health: refresh (fetch + merge + store), health checks, previews.

A key's listing is the seed 003 merge of Vertex's custom models with the key's enabled deployments
and allowedModels (routing.listing). It is stored per key (ModelListing) so that every web process
reads the same list with one query; Celery refreshes it when the key changes (on commit),
periodically (beat) and on demand. A failed refresh never throws the last good list away: the
entries stay, `stale` is set and the error is kept for the pages to show.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gateway_admin import routing_config
from gateway_admin.aio import run_sync
from gateway_admin.crypto import CredentialDecryptError, decrypt_credentials
from gateway_admin.models import AllowedModel, Deployment, KeyHealth, ModelListing, VertexKey
from gateway_admin.services.errors import ServiceValidationError
from routing.config import ConfigError, ConfigErrors, KeyConfig, parse_vertex_key_config
from routing.list_models import KeyCheck, alist_custom_models, check_key
from routing.listing import custom_model_from_entry, merge_models

logger = logging.getLogger(__name__)

T = TypeVar("T")
CONFIG = "vertex_key_config"


# --- enqueueing -------------------------------------------------------------------------------


def listing_refresh_enqueue(*, key_id: int) -> None:
    """Ask for a background refresh of a key's listing, after the current transaction commits.

    Safe to call inside or outside a transaction, and from another on_commit callback (then it runs
    at once). Only the key id goes to the broker. Without a broker (embedded mode,
    CELERY_TASK_ALWAYS_EAGER) the refresh runs right here, in process.
    """

    # Recorded with the change that asked for it, so pages show "refreshing" from that moment on.
    now = timezone.now()
    if not ModelListing.objects.filter(key_id=key_id).update(refresh_requested_at=now):
        if not VertexKey.objects.filter(pk=key_id).exists():
            return  # deleted (perhaps in this very transaction): nothing to refresh
        ModelListing.objects.get_or_create(key_id=key_id, defaults={"refresh_requested_at": now})

    def enqueue() -> None:
        from gateway_admin.celery import enqueue

        try:
            enqueue("gateway_admin.models_refresh", key_id)
        except Exception:
            # A broker outage must not turn a saved key into a 500; the periodic refresh catches up.
            logger.exception("could not enqueue the model-listing refresh of key %s", key_id)

    transaction.on_commit(enqueue)


# --- refresh and health -----------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshOutcome:
    """What one refresh did. `retryable` tells the task whether another try may succeed."""

    key_id: int
    ok: bool
    error: str = ""
    retryable: bool = False
    entries: int = 0


def _config_of(key_id: int) -> tuple[dict[str, str], list[str]]:
    deployments = dict(
        Deployment.objects.filter(key_id=key_id, enabled=True).order_by("position", "id").values_list("alias", "target")
    )
    allowed = list(AllowedModel.objects.filter(key_id=key_id).order_by("position", "id").values_list("model_id", flat=True))
    return deployments, allowed


def _check(key: VertexKey) -> KeyCheck:
    try:
        config = routing_config.key_config(key)
    except CredentialDecryptError as exc:
        message = str(exc)
        return KeyCheck(key_id=str(key.pk), ok=False, token_ok=False, token_error=message, error=message,
                        error_type="configuration_error")
    return run_sync(lambda: check_key(config, base_url=routing_config.base_url()))


def _record_health(key_id: int, check: KeyCheck) -> None:
    now = timezone.now()
    health, _ = KeyHealth.objects.get_or_create(key_id=key_id)
    health.checked_at = now
    health.token_ok = check.token_ok
    health.token_error = check.token_error
    if check.token_ok:
        health.token_minted_at = now
    health.list_status = check.list_status
    health.list_latency_ms = check.list_latency_ms
    if check.ok:
        health.last_success_at = now
    else:
        health.last_error = check.error
        health.last_error_at = now
    health.save()


def models_refresh(*, key_id: int) -> RefreshOutcome | None:
    """Fetch the key's custom models, merge them with its config and store the listing.

    On failure the last good entries stay, marked stale with the error; a key that never had a good
    listing gets the entries its configuration alone gives (no custom models), also marked stale,
    so that its configured models are visible while Vertex is unreachable. Records the key's health
    from the same calls. Returns None when the key no longer exists.
    """
    key = VertexKey.objects.prefetch_related("deployments", "allowed_models").filter(pk=key_id).first()
    if key is None:
        return None
    ModelListing.objects.get_or_create(key_id=key_id)
    ModelListing.objects.filter(key_id=key_id).update(refresh_started_at=timezone.now())

    check = _check(key)
    now = timezone.now()
    with transaction.atomic():
        listing = ModelListing.objects.select_for_update().get(key_id=key_id)
        # Read under the listing's row lock: if the config changed while Vertex was being asked,
        # the merge still uses the latest deployments (the refresh that change enqueued follows).
        deployments, allowed = _config_of(key_id)
        if check.ok:
            entries = [e.as_dict() for e in merge_models(check.custom_models, deployments, allowed)]
            listing.entries = entries
            listing.fetched_at = now
            listing.stale = False
            listing.last_error = ""
        else:
            if listing.fetched_at is None and not listing.entries:
                listing.entries = [e.as_dict() for e in merge_models((), deployments, allowed)]
            listing.stale = True
            listing.last_error = check.error
            listing.last_error_at = now
        listing.refresh_started_at = None
        listing.save()
        _record_health(key_id, check)
    if not check.ok:
        logger.warning("model listing of key %s not refreshed: %s", key_id, check.error)
    return RefreshOutcome(key_id=key_id, ok=check.ok, error=check.error, retryable=check.retryable,
                          entries=len(listing.entries))


def key_health_check(*, key_id: int) -> KeyCheck | None:
    """Mint a token and call List Models for the key; record what happened (KeyHealth)."""
    key = VertexKey.objects.prefetch_related("deployments", "allowed_models").filter(pk=key_id).first()
    if key is None:
        return None
    check = _check(key)
    with transaction.atomic():
        _record_health(key_id, check)
    return check


# --- preview of an unsaved configuration ------------------------------------------------------


def models_preview(
    *, config: Mapping[str, Any], key_id: int | None = None, fetch_custom: bool = False
) -> dict[str, Any]:
    """The listing an unsaved seed-format `vertex_key_config` would produce. Saves nothing.

    Custom models come from:
    - nowhere by default ("custom_models": "none"): the preview answers from the configuration alone,
      fast enough to run on every edit;
    - the saved key `key_id`'s last stored listing ("stored") when editing an existing key; only its
      custom entries that the saved allowedModels let through are known;
    - Vertex itself with `fetch_custom` ("live"): the config's `auth_credentials`, or else the saved
      key's credential (never echoed), mint a token and List Models is called. If that fails the
      answer still lists the configured models and says why custom models are missing
      ("custom_error"), instead of failing the preview.

    Raises ServiceValidationError naming every bad field ("vertex_key_config.region", ...).
    """
    if not isinstance(config, Mapping):
        raise ServiceValidationError({CONFIG: ["Must be a JSON object (the seed's vertex_key_config)."]})
    try:
        parsed = parse_vertex_key_config(dict(config), allowed_token_uris=tuple(settings.ALLOWED_TOKEN_URIS))
    except ConfigErrors as exc:
        raise ServiceValidationError({f"{CONFIG}.{f}": r for f, r in exc.errors.items()}) from None
    except ConfigError as exc:
        raise ServiceValidationError({f"{CONFIG}.{exc.field}": [exc.message]}) from None

    key = None
    if key_id is not None:
        key = VertexKey.objects.select_related("listing").filter(pk=key_id).first()
        if key is None:
            raise ServiceValidationError({"key_id": [f"No key with id {key_id}."]})

    custom: list[dict] = []
    source = "none"
    custom_error = ""
    if fetch_custom:
        source = "live"
        credentials = config.get("auth_credentials")
        try:
            if not credentials and key is not None:
                credentials = decrypt_credentials(key.credentials_encrypted, label=f'key "{key.name}"')
            elif credentials == "application_default":
                credentials = ""
            key_config = KeyConfig(
                key_id=f"preview-{key_id}" if key_id is not None else "preview",
                name="preview",
                project_id=parsed.project_id,
                region=parsed.region,
                project_number=parsed.project_number or "",
                credentials=credentials or "",
                credential_fingerprint=parsed.credential.fingerprint if parsed.credential else "",
                allowed_token_uris=tuple(settings.ALLOWED_TOKEN_URIS),
            )
            custom = run_sync(lambda: alist_custom_models(key_config, base_url=routing_config.base_url(), retries=0))
        except CredentialDecryptError as exc:
            custom_error = str(exc)
        except Exception as exc:
            custom_error = getattr(exc, "user_message", None) or f"{type(exc).__name__}: {exc}"
    elif key is not None:
        source = "stored"
        listing = getattr(key, "listing", None)
        stored = listing.entries if listing is not None else []
        custom = [custom_model_from_entry(e) for e in stored if e.get("source") == "custom"]

    entries = merge_models(custom, dict(parsed.deployments), list(parsed.allowedModels))
    return {
        "entries": [e.as_dict() for e in entries],
        "count": len(entries),
        "custom_models": source,
        "custom_error": custom_error,
    }
