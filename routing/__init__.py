"""Vertex AI wire protocol: configuration, catalog, endpoints, auth, family adapters, router.

Pure Python (stdlib + httpx + google-auth). Never imports Django.

The public API, importable from here (loaded on first use, so `import routing.config` stays light):

    from routing import Router, KeyConfig, Deployment

    router = Router([KeyConfig(key_id="1", name="prod", project_id="my-project", region="global",
                               credentials=service_account_json,
                               deployments=(Deployment("sonnet", "claude-sonnet-4-5@20250929"),))])
    result = await router.chat({"model": "sonnet", "messages": [{"role": "user", "content": "Hi"}]})
    result.response      # an OpenAI chat.completion
    result.attempts      # every key/region/host tried, with status and latency

    async for chunk in await router.chat_stream({...}):   # OpenAI chunks as they arrive
        ...

Native dialects (routing/native.py): `await router.messages(body, betas=...)` (Anthropic Messages;
Claude passed through, other chat models translated), `messages_stream` (bytes, one Anthropic SSE
event each), `messages_count_tokens`, and `router.vertex(model, action, body_bytes, ...)` (the Vertex
pass-through); `anthropic-beta` values are filtered per route by `routing.betas`.

Sync callers (Celery tasks, management commands) use `routing.transport.run(coro)` (asyncio.run that
also closes that loop's pooled client). Errors are `RoutingError` subclasses with `user_message`,
`status`, `retryable` and `attempts`.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Router": "routing.router",
    "Candidate": "routing.candidates",
    "RouteResult": "routing.results",
    "Attempt": "routing.results",
    "RouteStream": "routing.route_stream",
    "RawRouteStream": "routing.raw_stream",
    "BetaTable": "routing.betas",
    "DEFAULT_BETAS": "routing.betas",
    "filter_betas": "routing.betas",
    "parse_betas": "routing.betas",
    "vertex_model_id": "routing.model_names",
    "RetryPolicy": "routing.retry",
    "TokenCache": "routing.auth",
    "TOKEN_CACHE": "routing.auth",
    "SCOPE": "routing.auth",
    "KeyConfig": "routing.config",
    "Deployment": "routing.config",
    "ServiceAccountInfo": "routing.config",
    "ConfigError": "routing.config",
    "Catalog": "routing.catalog",
    "DEFAULT_CATALOG": "routing.catalog",
    "SSEDecoder": "routing.sse",
    "RoutingError": "routing.errors",
    "InvalidRequestError": "routing.errors",
    "ModelNotFoundError": "routing.errors",
    "ConfigurationError": "routing.errors",
    "AuthenticationError": "routing.errors",
    "UpstreamError": "routing.errors",
    "UpstreamNotFoundError": "routing.errors",
    "UpstreamPermissionError": "routing.errors",
    "RateLimitError": "routing.errors",
    "UpstreamServerError": "routing.errors",
    "UpstreamTimeoutError": "routing.errors",
    "TransportError": "routing.errors",
    "StreamInterruptedError": "routing.errors",
    "error_from_vertex": "routing.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'routing' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
