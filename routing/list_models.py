"""The Vertex List Models client (every page, all or nothing) and the key check built on it.

Public names are re-exported by `routing.listing`; import them from there.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from . import auth, endpoints, transport
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
from .retry import RetryPolicy, parse_retry_after

__all__ = ["MAX_PAGES", "PAGE_SIZE", "KeyCheck", "alist_custom_models", "check_key"]

PAGE_SIZE = 100
# A project with more than 100,000 custom models is not a thing; a loop that long is a bug upstream.
MAX_PAGES = 1000
# Cap on how long one page waits before a retry, whatever Retry-After says: a refresh is a
# background job, but it must not park a worker for minutes.
MAX_RETRY_WAIT_SECONDS = 10.0


def _next_page_token(body: dict[str, Any]) -> str:
    # Vertex REST speaks camelCase; the seed's example uses snake_case.
    token = body.get("nextPageToken")
    return str(token if token is not None else body.get("next_page_token") or "")


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
    kwargs: dict[str, Any] = {"upstream_status": status, "retry_after": parse_retry_after(response.headers)}
    if cls is UpstreamError:
        kwargs["status"] = 502
    return cls(text, **kwargs)


# A page retry waits a little (listing is a background read), and never longer than 10 s.
_PAGE_RETRY = RetryPolicy(backoff_initial=0.25, backoff_max=MAX_RETRY_WAIT_SECONDS, jitter=0.3,
                          retry_after_cap=MAX_RETRY_WAIT_SECONDS)


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
            if error is None and response is not None:
                break
            assert error is not None
            if not error.retryable or attempt >= retries:
                raise error
            await asyncio.sleep(_PAGE_RETRY.backoff(attempt + 1, error.retry_after))
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
        page_token = _next_page_token(body)
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
