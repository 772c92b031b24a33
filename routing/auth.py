"""Bearer tokens for Vertex: service account or Application Default Credentials, cached, single-flight.

CONTRACT:
- `class TokenCache`: `TokenCache(*, refresh_margin_seconds=300.0, clock=time.time)`;
  `async def token(key: KeyConfig) -> str`; `def token_sync(key: KeyConfig) -> str`;
  `def invalidate(key: KeyConfig) -> None`; `token_requests: int` (how many tokens were minted).
  Cached per (key_id, credential fingerprint); refreshed `refresh_margin` before expiry; one refresh
  at a time per key (20 concurrent callers on a cold key -> exactly one token request); "" credentials
  -> google.auth.default(scopes=[cloud-platform]).
- `TOKEN_CACHE`: the process-wide instance.
- `SCOPE = "https://www.googleapis.com/auth/cloud-platform"`.

How: google-auth mints (it signs the JWT and speaks the OAuth protocol) through a small adapter
over the process-wide sync httpx client (google-auth ships no httpx transport). Minting blocks, so
async callers run it in a worker thread; a threading.Lock per cache key makes the mint single-flight
across threads, and an asyncio future per key and loop makes concurrent coroutines share one
worker thread instead of queueing 20 of them on that lock. Inside the refresh margin async callers
keep using the still-valid token while the new one is minted in the background.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import google.auth
import google.auth.exceptions
import google.auth.transport
import httpx
import orjson
from google.oauth2 import service_account

from routing import transport
from routing.config import KeyConfig
from routing.errors import AuthenticationError
from routing.observers import notify_token_mint

SCOPE = "https://www.googleapis.com/auth/cloud-platform"
GOOGLE_TOKEN_HOST = "oauth2.googleapis.com"
# After a failed refresh while the old token is still valid, wait this long before trying again.
_RETRY_FAILED_REFRESH_SECONDS = 5.0
_TOKEN_HTTP_TIMEOUT = 30.0
# A token this close to expiry is not handed out while a new one is minted in the background.
_MIN_REMAINING_SECONDS = 30.0

log = logging.getLogger(__name__)

CacheKey = tuple[str, str]


class _Response(google.auth.transport.Response):
    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return self._response.headers

    @property
    def data(self) -> bytes:
        return self._response.content


class HttpxRequest(google.auth.transport.Request):
    """google-auth's `Request` protocol over an httpx sync client (the process-wide one by default).

    `last_status` is the HTTP status of this thread's latest answer: google-auth's RefreshError does
    not carry it, and an outage (5xx) must not be reported as a bad key."""

    def __init__(self, client: httpx.Client | None = None) -> None:
        self._client = client
        self._local = threading.local()

    @property
    def last_status(self) -> int | None:
        return getattr(self._local, "status", None)

    def __call__(self, url: str, method: str = "GET", body: bytes | None = None,
                 headers: Mapping[str, str] | None = None, timeout: float | None = None,
                 **kwargs: Any) -> _Response:
        client = self._client or transport.sync_client()
        self._local.status = None
        try:
            response = client.request(method, url, content=body, headers=dict(headers or {}),
                                      timeout=timeout or _TOKEN_HTTP_TIMEOUT)
        except httpx.HTTPError as exc:
            raise google.auth.exceptions.TransportError(
                f"{type(exc).__name__} talking to {urlsplit(url).hostname}") from exc
        self._local.status = response.status_code
        return _Response(response)


@dataclass
class _Entry:
    credentials: Any  # google.auth.credentials.Credentials, reused across refreshes
    token_uri_host: str
    token: str | None = None
    expires_at: float = 0.0
    refresh_at: float = 0.0
    key_name: str = ""  # for observers (routing.observers); never a secret


class TokenCache:
    """Access tokens per (key_id, credential fingerprint), refreshed ahead of expiry, one mint at a time.

    `clock` returns seconds (like time.time) and is injectable so tests can move time forward.
    """

    def __init__(self, *, refresh_margin_seconds: float = 300.0, clock: Callable[[], float] = time.time,
                 http: httpx.Client | None = None) -> None:
        self.refresh_margin_seconds = refresh_margin_seconds
        self.clock = clock
        self.token_requests = 0
        self._request = HttpxRequest(http)
        self._entries: dict[CacheKey, _Entry] = {}
        self._locks: dict[CacheKey, threading.Lock] = {}
        self._inflight: dict[tuple[CacheKey, asyncio.AbstractEventLoop], asyncio.Task[str]] = {}
        self._fingerprints: dict[str, str] = {}
        self._count_lock = threading.Lock()

    # -- public API ------------------------------------------------------------------------------

    async def token(self, key: KeyConfig) -> str:
        """A valid bearer token for `key`; concurrent callers share one refresh.

        Inside the refresh margin the current token is still valid: it is returned at once while
        the new one is minted in the background, so no call waits for a routine refresh.
        """
        ck = self._cache_key(key)
        entry = self._entries.get(ck)
        if entry is not None and entry.token is not None:
            now = self.clock()
            if now < entry.refresh_at:
                return entry.token
            if now < entry.expires_at - _MIN_REMAINING_SECONDS:
                self._refresh_task(key, ck)
                return entry.token
        return await asyncio.shield(self._refresh_task(key, ck))

    def _refresh_task(self, key: KeyConfig, ck: CacheKey) -> asyncio.Task[str]:
        loop = asyncio.get_running_loop()
        slot = (ck, loop)
        task = self._inflight.get(slot)
        if task is None:
            # A task of its own, so that a caller being cancelled does not cancel the others' wait.
            task = loop.create_task(asyncio.to_thread(self._token_locked, key, ck))
            self._inflight[slot] = task
            task.add_done_callback(lambda t: self._refresh_done(slot, t))
        return task

    def _refresh_done(self, slot: tuple[CacheKey, asyncio.AbstractEventLoop], task: asyncio.Task[str]) -> None:
        self._inflight.pop(slot, None)
        if not task.cancelled() and task.exception() is not None:
            # Awaiting callers get the exception; a background refresh nobody waits for is logged.
            log.debug("token refresh failed: %s", type(task.exception()).__name__)

    def token_sync(self, key: KeyConfig) -> str:
        """The same for sync callers (threads); blocks while a token is minted."""
        ck = self._cache_key(key)
        entry = self._entries.get(ck)
        if entry is not None and entry.token is not None and self.clock() < entry.refresh_at:
            return entry.token
        return self._token_locked(key, ck)

    def invalidate(self, key: KeyConfig, token: str | None = None) -> None:
        """Drop the cached token (Vertex answered 401/403 with it).

        With `token`, drop it only if it is still the cached one, so that many calls failing with
        the same token cause one refresh, not one each.
        """
        entry = self._entries.get(self._cache_key(key))
        if entry is not None and (token is None or entry.token == token):
            entry.token = None
            entry.refresh_at = 0.0

    def clear(self) -> None:
        """Forget every token and credential (tests, credential rotation)."""
        self._entries.clear()

    # -- minting ---------------------------------------------------------------------------------

    def _cache_key(self, key: KeyConfig) -> CacheKey:
        fingerprint = key.credential_fingerprint
        if not fingerprint:
            fingerprint = self._fingerprints.get(key.credentials, "")
            if not fingerprint:
                fingerprint = hashlib.sha256(key.credentials.encode()).hexdigest()
                self._fingerprints[key.credentials] = fingerprint
        return (key.key_id, fingerprint)

    def _token_locked(self, key: KeyConfig, ck: CacheKey) -> str:
        lock = self._locks.get(ck)
        if lock is None:
            lock = self._locks.setdefault(ck, threading.Lock())
        with lock:
            entry = self._entries.get(ck)
            now = self.clock()
            if entry is not None and entry.token is not None and now < entry.refresh_at:
                return entry.token  # another thread refreshed it while we waited
            if entry is None:
                entry = self._new_entry(key)
                self._entries[ck] = entry
            try:
                return self._mint(entry)
            except AuthenticationError:
                if entry.token is not None and now < entry.expires_at:
                    # Still valid: serve it and try again a little later rather than fail the call.
                    log.warning("token refresh failed for key %s; using the current token", key.key_id)
                    entry.refresh_at = now + _RETRY_FAILED_REFRESH_SECONDS
                    return entry.token
                raise

    def _new_entry(self, key: KeyConfig) -> _Entry:
        if not key.credentials:
            try:
                credentials, _project = google.auth.default(scopes=[SCOPE])
            except google.auth.exceptions.DefaultCredentialsError as exc:
                raise AuthenticationError(
                    f"Key {key.name or key.key_id} uses Application Default Credentials, but none were "
                    "found: set GOOGLE_APPLICATION_CREDENTIALS on the server, or give the key a "
                    "service-account credential.") from exc
            return _Entry(credentials=credentials, token_uri_host=GOOGLE_TOKEN_HOST, key_name=key.name or key.key_id)
        try:
            info = orjson.loads(key.credentials)
            credentials = service_account.Credentials.from_service_account_info(info, scopes=[SCOPE])
        except (ValueError, TypeError, KeyError) as exc:
            # Never include the exception text: it can quote the key material.
            raise AuthenticationError(
                f"The service-account credential of key {key.name or key.key_id} cannot be loaded "
                "(not a valid service-account JSON key with a PEM private key).") from exc
        host = urlsplit(str(info.get("token_uri") or "")).hostname or GOOGLE_TOKEN_HOST
        return _Entry(credentials=credentials, token_uri_host=host, key_name=key.name or key.key_id)

    def _mint(self, entry: _Entry) -> str:
        with self._count_lock:
            self.token_requests += 1
        try:
            token = self._mint_once(entry)
        except AuthenticationError:
            notify_token_mint(entry.key_name, False)
            raise
        notify_token_mint(entry.key_name, True)
        return token

    def _mint_once(self, entry: _Entry) -> str:
        credentials = entry.credentials
        host = entry.token_uri_host
        try:
            credentials.refresh(self._request)
        except google.auth.exceptions.RefreshError as exc:
            status = self._request.last_status
            if status is not None and (status >= 500 or status == 429):
                raise AuthenticationError(
                    f"{host} is unavailable (HTTP {status}) and issued no access token. This is an "
                    "outage of the token endpoint, not a problem with the key; try again shortly.") from exc
            raise AuthenticationError(
                f"{host} refused to issue an access token: {_oauth_error(exc)}. Check that "
                "the service-account key is still valid (not deleted or disabled) and that the "
                "machine's clock is correct.") from exc
        except google.auth.exceptions.TransportError as exc:
            raise AuthenticationError(f"Could not reach {host} to get an access token ({exc}).") from exc
        except google.auth.exceptions.GoogleAuthError as exc:
            raise AuthenticationError(
                f"Could not get an access token from {host}: {type(exc).__name__}.") from exc
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            # google-auth indexes the reply without checking its shape (a list, a string, a bad
            # expires_in). Never include the exception text: it is about the reply's internals.
            raise AuthenticationError(
                f"{host} answered the token request with a malformed reply (HTTP "
                f"{self._request.last_status or 'status unknown'}), so no access token was issued.") from exc
        token = credentials.token
        if not token:
            raise AuthenticationError(f"{entry.token_uri_host} answered without an access token.")
        now = self.clock()
        lifetime = 3600.0
        expiry = getattr(credentials, "expiry", None)
        if isinstance(expiry, dt.datetime):
            # google-auth keeps expiry as naive UTC; turn it into a lifetime on our own clock.
            utcnow = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            lifetime = max(0.0, (expiry - utcnow).total_seconds())
        margin = min(self.refresh_margin_seconds, lifetime / 2)
        entry.token = token
        entry.expires_at = now + lifetime
        entry.refresh_at = now + lifetime - margin
        return token


def _oauth_error(exc: google.auth.exceptions.RefreshError) -> str:
    """The OAuth error ("invalid_grant: Invalid JWT Signature.") without anything secret."""
    if len(exc.args) > 1 and isinstance(exc.args[1], dict):
        data = exc.args[1]
        error = data.get("error")
        if isinstance(error, dict):  # Google's API error shape: {"error": {"code", "message", "status"}}
            error = error.get("status") or error.get("message")
        description = data.get("error_description")
        error = error if isinstance(error, str) and error else "error"
        return f"{error}: {description}"[:200] if isinstance(description, str) and description else error[:200]
    text = str(exc.args[0]) if exc.args and isinstance(exc.args[0], str) else type(exc).__name__
    return text[:200]


TOKEN_CACHE = TokenCache()
