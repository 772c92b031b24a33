"""Vertex List Models client, the seed 003 merge, and a key check for "Test connection" and health.

Vertex's List Models API (`GET .../locations/{r}/models?pageSize=100&pageToken=...`) returns only
custom (fine-tuned) models, so a listing built from it alone is incomplete. `merge_models` adds the
key's deployments and allowedModels to it, following the five rules of seed 003:

1. every deployed custom model (one with `deployedModels`; its endpoint id is the last path segment
   of `deployedModels[].endpoint`); one that a deployment points at by endpoint id is listed once,
   under the deployment's alias;
2. every deployment alias not listed yet (foundation models), with a readable display name;
3. every allowedModels entry not listed yet;
4. allowedModels empty: keep everything; non-empty: keep only entries whose alias/id is in it
   (custom models included);
5. no duplicate ids; display names via `routing.catalog.display_name`.

Public API:

- `alist_custom_models(key, *, base_url=None, tokens=None, client=None, retries=2) -> list[dict]`
- `merge_models(custom, deployments, allowed_models) -> list[ModelEntry]` (pure)
- `ModelEntry` (`.as_dict()`, `ModelEntry.from_dict()`)
- `check_key(key, *, base_url=None, tokens=None, client=None) -> KeyCheck`
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

from . import auth, endpoints, transport
from .catalog import display_name
from .config import KeyConfig
from .errors import (
    AuthenticationError,
    RateLimitError,
    RoutingError,
    TransportError,
    UpstreamError,
    UpstreamNotFoundError,
    UpstreamPermissionError,
    UpstreamServerError,
    UpstreamTimeoutError,
)

__all__ = [
    "PAGE_SIZE",
    "KeyCheck",
    "ModelEntry",
    "Source",
    "alist_custom_models",
    "check_key",
    "custom_model_from_entry",
    "merge_models",
]

PAGE_SIZE = 100
# A project with more than 100,000 custom models is not a thing; a loop that long is a bug upstream.
MAX_PAGES = 1000
# Cap on how long one page waits before a retry, whatever Retry-After says: a refresh is a
# background job, but it must not park a worker for minutes.
MAX_RETRY_WAIT_SECONDS = 10.0

Source = Literal["custom", "deployment", "allowed"]


# Not frozen: a frozen dataclass's __init__ costs twice as much, and merges build 10,000s of these.
@dataclass(slots=True)
class ModelEntry:
    """One model of a key's merged listing.

    `id` is what a caller passes as `model` (an alias, a foundation model id, or a tuned endpoint
    id); `target` is what the router would call (model id or endpoint id); `endpoint_id` is set for
    tuned endpoints; `created` is Unix seconds when Vertex reported a creation time.
    """

    id: str
    display_name: str
    source: Source
    target: str
    endpoint_id: str = ""
    description: str = ""
    created: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "display_name": self.display_name,
            "source": self.source,
            "target": self.target,
            "endpoint_id": self.endpoint_id,
            "description": self.description,
            "created": self.created,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelEntry:
        return cls(
            id=str(data["id"]),
            display_name=str(data.get("display_name") or data["id"]),
            source=data.get("source", "deployment"),
            target=str(data.get("target") or data["id"]),
            endpoint_id=str(data.get("endpoint_id") or ""),
            description=str(data.get("description") or ""),
            created=data.get("created"),
        )


def _get(model: Mapping[str, Any], camel: str, snake: str) -> Any:
    # Vertex REST speaks camelCase; the seed's example (and some SDK dumps) use snake_case.
    value = model.get(camel)
    return model.get(snake) if value is None else value


def _last_segment(path: str) -> str:
    return path.rstrip("/").rpartition("/")[2]


_EPOCH = datetime(1970, 1, 1)


def _created(value: Any) -> int | None:
    if not isinstance(value, str) or len(value) < 19:
        return None
    try:
        # Vertex timestamps are RFC 3339 in UTC, often with nanoseconds that fromisoformat rejects;
        # the naive-epoch subtraction is the cheapest exact conversion (this runs per custom model).
        return int((datetime.fromisoformat(value[:19]) - _EPOCH).total_seconds())
    except ValueError:
        return None


def _endpoint_ids(deployed: Any) -> list[str]:
    """Endpoint ids of a model's `deployedModels` (last path segment of each `endpoint`)."""
    ids: list[str] = []
    if not isinstance(deployed, list):
        return ids
    for item in deployed:
        endpoint = item.get("endpoint") if isinstance(item, dict) else None
        if isinstance(endpoint, str) and endpoint:
            segment = endpoint[endpoint.rfind("/", 0, len(endpoint.rstrip("/"))) + 1 :].rstrip("/")
            if segment and segment not in ids:
                ids.append(segment)
    return ids


def merge_models(
    custom: Sequence[Mapping[str, Any]],
    deployments: Mapping[str, str],
    allowed_models: Sequence[str],
) -> list[ModelEntry]:
    """Merge Vertex's custom models with a key's deployments and allowedModels (seed 003).

    `custom` is what `alist_custom_models` returned (Vertex model resources); `deployments` maps
    alias -> target in the admin's order; `allowed_models` is the allowedModels list. The result
    keeps rule order (custom, then deployments, then allowedModels) and is deterministic.

    A custom model that several aliases point at is listed under the first of them; the others are
    listed as deployment entries by rule 2 (each alias is a usable `model` id). A custom model no
    alias points at is listed under its first endpoint id, the id the router can call. A custom
    model with `deployedModels` but no parseable endpoint is listed under its model resource id.
    """
    allowed = set(allowed_models)
    restrict = bool(allowed)
    # endpoint id -> first alias pointing at it (rule 1's "under the deployment's alias").
    alias_for_endpoint: dict[str, str] = {}
    for alias, target in deployments.items():
        alias_for_endpoint.setdefault(target, alias)

    entries: list[ModelEntry] = []
    # Every id an entry answers to (its id, and a custom entry's endpoint id): rules 2, 3 and 5.
    listed: set[str] = set()
    append = entries.append

    for model in custom:
        deployed = model.get("deployedModels") or model.get("deployed_models")
        if not deployed:
            continue  # not deployed: nothing can call it
        endpoint_ids = _endpoint_ids(deployed)
        alias = ""
        endpoint_id = ""
        for candidate in endpoint_ids:
            alias = alias_for_endpoint.get(candidate, "")
            if alias:
                endpoint_id = candidate
                break
        else:
            endpoint_id = endpoint_ids[0] if endpoint_ids else ""
        model_id = alias or endpoint_id or _last_segment(str(model.get("name", "")))
        if not model_id or model_id in listed:
            continue
        listed.add(model_id)
        if endpoint_id:
            listed.add(endpoint_id)
        if restrict and model_id not in allowed and endpoint_id not in allowed:
            continue
        shown = model.get("displayName") or model.get("display_name")
        append(
            ModelEntry(
                model_id,
                shown if isinstance(shown, str) and shown else display_name(model_id),
                "custom",
                endpoint_id or model_id,
                endpoint_id,
                str(model.get("description") or ""),
                _created(model.get("createTime") or model.get("create_time")),
            )
        )

    for alias, target in deployments.items():
        if alias in listed:
            continue
        listed.add(alias)
        if restrict and alias not in allowed:
            continue
        append(
            ModelEntry(
                id=alias,
                display_name=display_name(alias),
                source="deployment",
                target=target,
                endpoint_id=target if target.isdigit() else "",
            )
        )

    for model_id in allowed_models:
        if model_id in listed:
            continue
        listed.add(model_id)
        append(
            ModelEntry(
                id=model_id,
                display_name=display_name(model_id),
                source="allowed",
                target=model_id,
                endpoint_id=model_id if model_id.isdigit() else "",
            )
        )
    return entries


def custom_model_from_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Rebuild a minimal Vertex model resource from a stored custom entry (for previews)."""
    model: dict[str, Any] = {
        "name": f"models/{entry.get('endpoint_id') or entry['id']}",
        "displayName": entry.get("display_name") or "",
        "description": entry.get("description") or "",
    }
    if entry.get("endpoint_id"):
        model["deployedModels"] = [{"endpoint": f"endpoints/{entry['endpoint_id']}"}]
    else:
        model["deployedModels"] = [{}]
    if entry.get("created"):
        model["createTime"] = datetime.fromtimestamp(int(entry["created"]), UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
    return model


# --- the HTTP client -------------------------------------------------------------------------


def _upstream_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        status = error.get("status") or ""
        message = error.get("message") or ""
        return f"{status}: {message}".strip(": ") if status else str(message)
    return ""


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


_STATUS_ERRORS: dict[int, type[RoutingError]] = {
    401: AuthenticationError,
    403: UpstreamPermissionError,
    404: UpstreamNotFoundError,
    408: UpstreamTimeoutError,
    429: RateLimitError,
    500: UpstreamServerError,
    502: UpstreamServerError,
    503: UpstreamServerError,
    504: UpstreamTimeoutError,
}


def _error_for(response: httpx.Response, page: int) -> RoutingError:
    """Map a failed List Models page to routing's error hierarchy, keeping Vertex's own words."""
    status = response.status_code
    detail = _upstream_message(response)
    text = f"List Models page {page} failed: Vertex answered HTTP {status}"
    if detail:
        text += f" ({detail})"
    cls = _STATUS_ERRORS.get(status) or (UpstreamServerError if status >= 500 else UpstreamError)
    kwargs: dict[str, Any] = {"upstream_status": status, "retry_after": _retry_after(response)}
    if cls is UpstreamError:
        kwargs["status"] = 502
    return cls(text, **kwargs)


def _backoff(attempt: int, retry_after: float | None) -> float:
    if retry_after is not None:
        return min(retry_after, MAX_RETRY_WAIT_SECONDS)
    return min(0.25 * (2**attempt) + random.uniform(0, 0.1), MAX_RETRY_WAIT_SECONDS)


@dataclass
class _PageStats:
    first_status: int | None = None
    first_latency_ms: float | None = None
    pages: int = 0


async def _fetch_all(
    key: KeyConfig,
    *,
    base_url: str | None,
    tokens: auth.TokenCache,
    client: httpx.AsyncClient,
    retries: int,
    stats: _PageStats,
    token: str | None = None,
) -> list[dict]:
    models: list[dict] = []
    page_token = ""
    seen_tokens: set[str] = set()
    for page in range(1, MAX_PAGES + 1):
        query = {"pageSize": str(PAGE_SIZE)}
        if page_token:
            query["pageToken"] = page_token
        url = endpoints.check_url(
            endpoints.build_url(
                project_id=key.project_id, region=key.region, resource="models", override=base_url, query=query
            ),
            override=base_url,
        )
        attempt = 0
        while True:
            bearer = token or await tokens.token(key)
            token = None  # a retried page asks the cache again (it may have been invalidated)
            started = time.perf_counter()
            try:
                response = await client.get(url, headers={"Authorization": f"Bearer {bearer}"})
                error: RoutingError | None = None
                if response.status_code != 200:
                    error = _error_for(response, page)
                    if response.status_code in (401, 403):
                        tokens.invalidate(key)
            except httpx.TimeoutException as exc:
                response = None
                error = UpstreamTimeoutError(f"List Models page {page} timed out ({type(exc).__name__})")
            except httpx.HTTPError as exc:
                response = None
                error = TransportError(f"List Models page {page} could not reach Vertex ({type(exc).__name__})")
            latency_ms = (time.perf_counter() - started) * 1000
            if page == 1 and attempt == 0:
                stats.first_status = response.status_code if response is not None else None
                stats.first_latency_ms = latency_ms
            if error is None:
                break
            if not error.retryable or attempt >= retries:
                raise error
            await asyncio.sleep(_backoff(attempt, error.retry_after))
            attempt += 1
        stats.pages = page
        try:
            body = response.json()
        except ValueError:
            raise UpstreamError(
                f"List Models page {page} answered with malformed JSON", upstream_status=200
            ) from None
        if not isinstance(body, dict):
            raise UpstreamError(f"List Models page {page} answered with a non-object body", upstream_status=200)
        page_models = body.get("models") or []
        if not isinstance(page_models, list):
            raise UpstreamError(f"List Models page {page} has a non-list 'models'", upstream_status=200)
        models.extend(m for m in page_models if isinstance(m, dict))
        page_token = _get(body, "nextPageToken", "next_page_token") or ""
        if not page_token:
            return models
        if page_token in seen_tokens:
            raise UpstreamError(f"List Models page {page} repeated a page token; the listing would never end")
        seen_tokens.add(page_token)
    raise UpstreamError(f"List Models returned more than {MAX_PAGES} pages")


async def alist_custom_models(
    key: KeyConfig,
    *,
    base_url: str | None = None,
    tokens: auth.TokenCache | None = None,
    client: httpx.AsyncClient | None = None,
    retries: int = 2,
) -> list[dict]:
    """Every custom model of the key's project and region, over every page (pageSize=100).

    All or nothing: if any page fails (after `retries` retries of 429/5xx/transport errors,
    honouring Retry-After up to 10 s), a `routing.errors.RoutingError` is raised and no partial list
    is returned. 401/403 drop the cached token. `base_url` is the operator override (emulator).
    """
    return await _fetch_all(
        key,
        base_url=base_url,
        tokens=tokens or auth.TOKEN_CACHE,
        client=client or transport.async_client(),
        retries=retries,
        stats=_PageStats(),
    )


@dataclass(frozen=True)
class KeyCheck:
    """What one check of a key saw: token minted (or why not), List Models status/latency/count.

    `list_status`/`list_latency_ms` describe the first List Models page (one round trip, what a user
    feels); `model_count` counts custom models over every page; `error` is the exact message of the
    failure, secret-free. `custom_models` (not in `as_dict`) is the full list when `ok`.
    """

    key_id: str
    ok: bool
    token_ok: bool
    token_error: str = ""
    token_latency_ms: float | None = None
    list_status: int | None = None
    list_latency_ms: float | None = None
    model_count: int | None = None
    pages: int = 0
    error: str = ""
    error_type: str = ""
    retryable: bool = False
    checked_at: float = field(default_factory=time.time)
    custom_models: tuple[dict, ...] = field(default=(), repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "ok": self.ok,
            "token_ok": self.token_ok,
            "token_error": self.token_error,
            "token_latency_ms": self.token_latency_ms,
            "list_status": self.list_status,
            "list_latency_ms": self.list_latency_ms,
            "model_count": self.model_count,
            "pages": self.pages,
            "error": self.error,
            "error_type": self.error_type,
            "checked_at": self.checked_at,
        }


def _describe(exc: BaseException) -> tuple[str, str, bool]:
    if isinstance(exc, RoutingError):
        return exc.user_message, exc.error_type, exc.retryable
    # google-auth and config errors: their text names the problem and never carries the key.
    return f"{type(exc).__name__}: {exc}", "configuration_error", False


async def check_key(
    key: KeyConfig,
    *,
    base_url: str | None = None,
    tokens: auth.TokenCache | None = None,
    client: httpx.AsyncClient | None = None,
    retries: int = 0,
) -> KeyCheck:
    """Mint a token for the key, then list its custom models; never raises for upstream faults.

    Used by "Test connection", the health task and the refresh (which merges `custom_models`).
    Retries default to 0 here so that a check reports what Vertex said the first time.
    """
    tokens = tokens or auth.TOKEN_CACHE
    started = time.perf_counter()
    try:
        token = await tokens.token(key)
    except Exception as exc:  # any failure to mint is the finding, not a crash
        message, error_type, retryable = _describe(exc)
        if not isinstance(exc, RoutingError):
            error_type = AuthenticationError.error_type
        return KeyCheck(
            key_id=key.key_id,
            ok=False,
            token_ok=False,
            token_error=message,
            token_latency_ms=(time.perf_counter() - started) * 1000,
            error=message,
            error_type=error_type,
            retryable=retryable,
        )
    token_latency_ms = (time.perf_counter() - started) * 1000
    stats = _PageStats()
    try:
        models = await _fetch_all(
            key,
            base_url=base_url,
            tokens=tokens,
            client=client or transport.async_client(),
            retries=retries,
            stats=stats,
            token=token,
        )
    except Exception as exc:
        message, error_type, retryable = _describe(exc)
        return KeyCheck(
            key_id=key.key_id,
            ok=False,
            token_ok=True,
            token_latency_ms=token_latency_ms,
            list_status=stats.first_status,
            list_latency_ms=stats.first_latency_ms,
            pages=stats.pages,
            error=message,
            error_type=error_type,
            retryable=retryable,
        )
    return KeyCheck(
        key_id=key.key_id,
        ok=True,
        token_ok=True,
        token_latency_ms=token_latency_ms,
        list_status=stats.first_status,
        list_latency_ms=stats.first_latency_ms,
        model_count=len(models),
        pages=stats.pages,
        custom_models=tuple(models),
    )
