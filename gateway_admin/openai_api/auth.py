"""Bearer API-token authentication for /v1, cached briefly per process.

The hot path must not pay a database round trip per call, so the answer of
`services.tokens.api_token_authenticate` is kept for `GATEWAY_TOKEN_CACHE_SECONDS` (default 10 s)
under the sha256 of the token (the raw token is never kept). `services.tokens.api_token_revoke`
evicts the token here (`forget_token`), so in the process that revoked it the token stops working
at once; other web processes keep it for at most that many seconds. Expiry is checked on every
hit. Concurrent misses for one token share a single lookup.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from gateway_admin.aio import run_db
from gateway_admin.pipeline.errors import unauthorized

NEGATIVE_CACHE_SECONDS = 2.0
MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What /v1 needs to know about an API token; no secret in it."""

    id: int
    user_id: int
    name: str
    prefix: str
    model_scopes: frozenset[str]
    rpm_limit: int | None
    log_bodies: bool
    expires_at: datetime | None

    def allows(self, model: str) -> bool:
        return not self.model_scopes or model in self.model_scopes


_cache: dict[str, tuple[TokenInfo | None, float]] = {}
_inflight: dict[str, asyncio.Future[TokenInfo | None]] = {}


def cache_seconds() -> float:
    return float(settings.GATEWAY_TOKEN_CACHE_SECONDS)


def clear_cache() -> None:
    """Forget every cached token (tests)."""
    _cache.clear()


def forget_token(digest: str) -> None:
    """Forget one cached token by its sha256 hex digest (`ApiToken.token_hash`): after a revoke, this
    process refuses the token at once; other processes within GATEWAY_TOKEN_CACHE_SECONDS."""
    _cache.pop(digest, None)


def _lookup(raw: str) -> TokenInfo | None:
    from gateway_admin.services.tokens import api_token_authenticate

    token = api_token_authenticate(raw)
    if token is None:
        return None
    scopes = frozenset(s.removeprefix("vertex/") for s in (token.model_scopes or []) if isinstance(s, str))
    return TokenInfo(
        id=token.pk,
        user_id=token.user_id,
        name=token.name,
        prefix=token.prefix,
        model_scopes=scopes,
        rpm_limit=token.rpm_limit,
        log_bodies=token.log_bodies,
        expires_at=token.expires_at,
    )


def bearer_token(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if not header:
        raise unauthorized(
            "You didn't provide an API key. Send it as `Authorization: Bearer <token>`; "
            "create one under Settings > API tokens."
        )
    if scheme.lower() != "bearer" or not raw.strip():
        raise unauthorized("The Authorization header must be `Bearer <token>`.")
    return raw.strip()


async def authenticate(request: HttpRequest) -> TokenInfo:
    """The caller's token, or GatewayError 401 (missing, malformed, unknown, revoked or expired)."""
    return await authenticate_token(bearer_token(request))


async def authenticate_token(raw: str) -> TokenInfo:
    """The token for a raw `vga_...` string, however the surface's clients send it (a bearer
    header, `x-api-key`, `x-goog-api-key`); GatewayError 401 when unknown, revoked or expired."""
    digest = hashlib.sha256(raw.encode()).hexdigest()
    now = time.monotonic()
    hit = _cache.get(digest)
    if hit is not None and hit[1] > now:
        info = hit[0]
    else:
        info = await _lookup_once(digest, raw)
    if info is None:
        raise unauthorized("Incorrect API key provided, or the token was revoked or has expired.")
    if info.expires_at is not None and info.expires_at <= timezone.now():
        raise unauthorized("This API token has expired.")
    return info


async def _lookup_once(digest: str, raw: str) -> TokenInfo | None:
    loop = asyncio.get_running_loop()
    pending = _inflight.get(digest)
    if pending is not None and pending.get_loop() is loop:
        return await asyncio.shield(pending)
    future: asyncio.Future[TokenInfo | None] = loop.create_future()
    _inflight[digest] = future
    try:
        info = await run_db(_lookup, raw)
    except BaseException as exc:
        future.set_exception(exc)
        # The waiters re-raise it; mark it retrieved so an unwaited future does not warn.
        future.exception()
        raise
    else:
        future.set_result(info)
    finally:
        _inflight.pop(digest, None)
    if len(_cache) >= MAX_ENTRIES:
        _cache.clear()
    ttl = cache_seconds() if info is not None else NEGATIVE_CACHE_SECONDS
    _cache[digest] = (info, time.monotonic() + ttl)
    return info


__all__ = ["TokenInfo", "authenticate", "authenticate_token", "bearer_token", "clear_cache", "forget_token"]
