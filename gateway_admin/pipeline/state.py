"""The routing state every gateway call uses: one Router and the model ids, cached per process.

Building a Router reads every enabled key (and decrypts its credential), which is far too slow for
each call, so the state is loaded once and then refreshed in the background every
`GATEWAY_CONFIG_CACHE_SECONDS` (default 5 s): a configuration change reaches every web process
within that time, and no call waits for the database after the first. In the process that made
the change it is reloaded at the next call (`routing_config.config_generation()` moved on). When
the keys did not change, the same Router instance is kept (its cooldowns and learned availability
survive).

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

from gateway_admin import routing_config
from gateway_admin.aio import run_db
from routing.errors import RoutingError

from .errors import GatewayError, invalid_request, model_not_allowed, model_not_found

if TYPE_CHECKING:
    from routing.router import Router

logger = logging.getLogger(__name__)

VERTEX_PREFIX = "vertex/"


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
    generation: int = 0


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
    from gateway_admin.models import AvailabilityOverride

    generation = routing_config.config_generation()
    keys = tuple(routing_config.enabled_key_configs())
    overrides = tuple(AvailabilityOverride.objects.order_by("pk").values_list("model_id", "region", "served"))
    if previous is not None and previous.keys == keys and previous.overrides == overrides:
        router = previous.router
    else:
        router = routing_config.router(list(keys))
    # `created` must not change on every reload (clients cache model lists): a model keeps the
    # time this process first listed it.
    now = int(time.time())
    first_seen = {m["id"]: m["created"] for m in previous.models} if previous is not None else {}
    models = [_model_object(e, first_seen.get(e["id"], now)) for e in _merged_models()]
    listed = {m["id"] for m in models}
    for alias in router.models():
        if alias not in listed:
            models.append(_model_object({"id": alias, "target": _target_of(router, alias)},
                                        first_seen.get(alias, now)))
            listed.add(alias)
    return GatewayState(router=router, keys=keys, overrides=overrides, models=models,
                        model_ids=frozenset(listed), loaded_at=time.monotonic(), generation=generation)


async def _refresh() -> GatewayState:
    global _state
    state = await run_db(load_state, _state)
    current = _state
    # A reload that started before a later one finished must not put older state back.
    if current is None or current.generation <= state.generation:
        _state = state
    return state


async def gateway_state() -> GatewayState:
    """The cached state; the first call loads it, later calls trigger a background refresh when old.
    After a configuration change in this process the next call waits for the new state."""
    global _refreshing
    state = _state
    if state is not None and state.generation != routing_config.config_generation():
        state = None
    elif state is not None and time.monotonic() - state.loaded_at < cache_seconds():
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
        raise invalid_request("model: give a model id from GET /v1/models.", param="model")
    return model.strip().removeprefix(VERTEX_PREFIX)


async def resolve_model(model: object, *, scope: Scoped | None) -> tuple[str, Router]:
    """The merged-list id for `model` and the router to call. Raises GatewayError 403 (outside the
    token's scopes; checked first, so a scoped token learns nothing about other models) or 404."""
    model_id = normalise_model_id(model)
    if scope is not None and not scope.allows(model_id):
        raise model_not_allowed(model_id)
    state = await gateway_state()
    if model_id not in state.model_ids:
        raise model_not_found(model_id)
    return model_id, state.router


async def models_for(scope: Scoped | None) -> list[dict[str, Any]]:
    """The model objects (OpenAI's shape) a caller may use."""
    state = await gateway_state()
    return [m for m in state.models if scope is None or scope.allows(m["id"])]


__all__ = [
    "GatewayError", "GatewayState", "default_model", "gateway_state", "load_state", "models_for", "reset",
    "resolve_model",
]


async def default_model(family: str, *, scope: Scoped | None) -> str | None:
    """The first model (by id) of a family (e.g. "veo") that the token may use, for requests
    that leave `model` out as OpenAI's SDKs allow."""
    state = await gateway_state()
    for model_id in sorted(state.model_ids):
        if scope is not None and not scope.allows(model_id):
            continue
        try:
            candidates = state.router.candidates(model_id)
        except RoutingError:  # an id only the merged list knows (a custom model without an endpoint)
            continue
        if candidates and candidates[0].family == family:
            return model_id
    return None
