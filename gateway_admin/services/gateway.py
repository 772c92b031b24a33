"""The /v1 gateway's view of the configuration: the router and the model ids, cached per process.

Building a Router reads every enabled key (and decrypts its credential), which is far too slow for
each call, so the state is loaded once and then refreshed in the background every
`GATEWAY_CONFIG_CACHE_SECONDS` (default 5 s): a configuration change reaches /v1 within that time
in every web process, and no call waits for the database after the first. When the keys did not
change, the same Router instance is kept (its cooldowns and learned availability survive).

Model ids are the merged-list ids (`selectors.models.models_for_v1()`) plus every alias the router
can serve; the `vertex/` prefix that the seed gateway's clients send is accepted and dropped. A
listed custom model that no alias names is routed under its endpoint id
(`routing_config.enabled_key_configs()` adds it to its key), so every listed id is callable.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.db import close_old_connections

from routing.errors import RoutingError

if TYPE_CHECKING:
    from routing.router import Router

logger = logging.getLogger(__name__)

VERTEX_PREFIX = "vertex/"


class ModelError(Exception):
    """A model id that cannot be used; `status` is 400 (malformed), 403 (scope) or 404 (unknown)."""

    status = 400

    def __init__(self, model: str, message: str) -> None:
        super().__init__(message)
        self.model = model
        self.message = message


class ModelNotAllowed(ModelError):
    status = 403


class UnknownModel(ModelError):
    status = 404


class Scoped(Protocol):
    def allows(self, model: str) -> bool: ...


@dataclass
class GatewayState:
    router: Router
    keys: tuple[Any, ...]
    overrides: tuple[Any, ...]
    models: list[dict[str, Any]]  # OpenAI model objects for GET /v1/models
    model_ids: frozenset[str] = field(default_factory=frozenset)
    loaded_at: float = 0.0


_state: GatewayState | None = None
_refreshing: asyncio.Task[GatewayState] | None = None


def cache_seconds() -> float:
    return float(settings.GATEWAY_CONFIG_CACHE_SECONDS)


def _merged_models() -> list[dict[str, Any]]:
    from gateway_admin.selectors.models import models_for_v1

    return list(models_for_v1())


_OWNERS = {"anthropic": "anthropic", "mistral": "mistralai"}


def _owner(target: str) -> str:
    """OpenAI's `owned_by`: the publisher of the model behind the id."""
    if "/" in target:  # partner MaaS: "meta/llama-...", "deepseek-ai/..."
        return target.split("/", 1)[0]
    try:
        from routing.catalog import family_of

        return _OWNERS.get(family_of(target), "google")
    except Exception:  # a target the catalog does not know: still listable
        return "vertex-ai"


def _model_object(entry: dict[str, Any], created: int) -> dict[str, Any]:
    try:
        when = int(entry.get("created") or created)
    except (TypeError, ValueError):
        when = created
    return {"id": entry["id"], "object": "model", "created": when,
            "owned_by": _owner(str(entry.get("target") or entry["id"]))}


def _target_of(router: Router, alias: str) -> str:
    try:
        return router.candidates(alias)[0].target
    except (RoutingError, IndexError):
        return alias


def load_state(previous: GatewayState | None) -> GatewayState:
    """Read keys, availability overrides and the merged model list (sync, database)."""
    from gateway_admin import routing_config
    from gateway_admin.models import AvailabilityOverride

    keys = tuple(routing_config.enabled_key_configs())
    overrides = tuple(AvailabilityOverride.objects.order_by("pk").values_list("model_id", "region", "served"))
    if previous is not None and previous.keys == keys and previous.overrides == overrides:
        router = previous.router
    else:
        router = routing_config.router(list(keys))
    now = int(time.time())
    models = [_model_object(e, now) for e in _merged_models()]
    listed = {m["id"] for m in models}
    for alias in router.models():
        if alias not in listed:
            models.append(_model_object({"id": alias, "target": _target_of(router, alias)}, now))
            listed.add(alias)
    return GatewayState(router=router, keys=keys, overrides=overrides, models=models,
                        model_ids=frozenset(listed), loaded_at=time.monotonic())


def _load_in_thread(previous: GatewayState | None) -> GatewayState:
    close_old_connections()
    try:
        return load_state(previous)
    finally:
        close_old_connections()


async def _refresh() -> GatewayState:
    global _state
    state = await asyncio.get_running_loop().run_in_executor(None, _load_in_thread, _state)
    _state = state
    return state


async def gateway_state() -> GatewayState:
    """The cached state; the first call loads it, later calls trigger a background refresh when old."""
    global _refreshing
    state = _state
    if state is not None and time.monotonic() - state.loaded_at < cache_seconds():
        return state
    task = _refreshing
    if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
        task = _refreshing = asyncio.ensure_future(_refresh())
        task.add_done_callback(_log_failure)
    if state is None:
        return await asyncio.shield(task)
    return state


def _log_failure(task: asyncio.Task[GatewayState]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("could not reload the gateway configuration", exc_info=task.exception())


def reset() -> None:
    """Forget the cached state (tests, and after a configuration change in this process)."""
    global _state, _refreshing
    _state = None
    _refreshing = None


def normalise_model_id(model: object) -> str:
    if not isinstance(model, str) or not model.strip():
        raise ModelError(str(model), "model: give a model id from GET /v1/models.")
    return model.strip().removeprefix(VERTEX_PREFIX)


async def aresolve_model(model: object, *, token: Scoped) -> tuple[str, Router]:
    """The merged-list id for `model` and the router to call. Raises ModelNotAllowed (outside the
    token's scopes; checked first, so a scoped token learns nothing about other models) or
    UnknownModel."""
    model_id = normalise_model_id(model)
    if not token.allows(model_id):
        raise ModelNotAllowed(model_id, f"This API token is not allowed to use the model `{model_id}`.")
    state = await gateway_state()
    if model_id not in state.model_ids:
        raise UnknownModel(
            model_id, f"The model `{model_id}` does not exist or is not configured on this gateway."
        )
    return model_id, state.router


async def models_for_token(token: Scoped) -> list[dict[str, Any]]:
    """GET /v1/models: the model objects this token may use."""
    state = await gateway_state()
    return [m for m in state.models if token.allows(m["id"])]


__all__ = [
    "GatewayState", "ModelError", "ModelNotAllowed", "UnknownModel", "aresolve_model", "gateway_state",
    "load_state", "models_for_token", "reset",
]


async def default_model(family: str, *, token: Scoped) -> str | None:
    """The first model (by id) of a family (e.g. "veo") that the token may use, for requests
    that leave `model` out as OpenAI's SDKs allow."""
    state = await gateway_state()
    for model_id in sorted(state.model_ids):
        if not token.allows(model_id):
            continue
        try:
            candidates = state.router.candidates(model_id)
        except RoutingError:  # an id only the merged list knows (a custom model without an endpoint)
            continue
        if candidates and candidates[0].family == family:
            return model_id
    return None
