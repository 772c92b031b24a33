"""One pooled httpx client per process (async and sync); transport chosen by measurement.

CONTRACT:
- `def async_client() -> httpx.AsyncClient` and `def sync_client() -> httpx.Client`: process-wide,
  created lazily, limits from `configure(max_connections=5000, keepalive_expiry=60.0,
  connect_timeout=10.0, read_timeout=120.0)`.
- `async def aclose() -> None` for shutdown and tests.
- `def run(coro)`: `asyncio.run` for sync callers (Celery tasks, management commands) that also
  closes the pooled client that loop created.

The async client keeps httpx's API but runs on aiohttp's connection pool (`httpx_aiohttp`), chosen
by measurement (bench/routing_overhead.py, emulator on loopback, uvloop, 2 shared cores, alternating
rounds): sequential p50 per call 1.65 ms on aiohttp vs 2.62 ms on httpx's own pool (httpcore over
anyio), and with 32 calls in flight 1.55 vs 4.67 ms of wall time per call (on a busier machine
5.0 vs 10.4 and 2.7 vs 14.5). `configure(backend="httpx")`
keeps httpx's own transport selectable.

Connections belong to an event loop, so the async client is created once per running loop:
uvicorn has one loop per worker (one client), while `asyncio.run` in a Celery task or a management
command gets a fresh client, and the clients of loops that have closed are dropped.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeVar

import httpx

Backend = Literal["aiohttp", "httpx"]
T = TypeVar("T")


@dataclass(frozen=True)
class TransportSettings:
    """Pool limits and timeouts of the process-wide clients (seconds)."""

    max_connections: int = 5000
    keepalive_expiry: float = 60.0
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    write_timeout: float = 30.0
    pool_timeout: float = 10.0
    backend: Backend = "aiohttp"

    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect_timeout, read=self.read_timeout,
                             write=self.write_timeout, pool=self.pool_timeout)

    def limits(self) -> httpx.Limits:
        return httpx.Limits(max_connections=self.max_connections,
                            max_keepalive_connections=self.max_connections,
                            keepalive_expiry=self.keepalive_expiry)


_settings = TransportSettings()
_lock = threading.Lock()
_async_clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}
# The last (loop, client) pair: the common case is one loop per process, and this skips a dict lookup.
_last: tuple[asyncio.AbstractEventLoop | None, httpx.AsyncClient | None] = (None, None)
_sync_client: httpx.Client | None = None


def configure(**changes: object) -> TransportSettings:
    """Change limits/timeouts/backend (see TransportSettings); clients made afterwards use them.

    Call it at start-up, before the first request; existing clients keep their settings until
    `aclose()`.
    """
    global _settings
    with _lock:
        _settings = replace(_settings, **changes)  # type: ignore[arg-type]
    return _settings


def settings() -> TransportSettings:
    return _settings


def new_async_client(backend: Backend | None = None) -> httpx.AsyncClient:
    """A new async client with the configured limits (the benchmark compares the backends with it)."""
    s = _settings
    backend = backend or s.backend
    if backend == "aiohttp":
        from httpx_aiohttp import AiohttpTransport

        transport: httpx.AsyncBaseTransport = AiohttpTransport(limits=s.limits())
    else:
        transport = httpx.AsyncHTTPTransport(limits=s.limits())
    return httpx.AsyncClient(transport=transport, timeout=s.timeout(), follow_redirects=False, trust_env=False)


def async_client() -> httpx.AsyncClient:
    """The async client of the running event loop (created on first use in that loop)."""
    global _last
    loop = asyncio.get_running_loop()
    last_loop, last_client = _last
    if last_loop is loop and last_client is not None:
        return last_client
    with _lock:
        client = _async_clients.get(loop)
        if client is None:
            _drop_closed_loops()
            client = new_async_client()
            _async_clients[loop] = client
        _last = (loop, client)
    return client


@dataclass(frozen=True)
class DirectSession:
    """The aiohttp session behind an async client on the aiohttp backend, for the one hot call that
    skips httpx's request and response objects (routing/attempts.py, non-streaming exchanges):
    the client's default headers and the timeout mapping are the ones httpx_aiohttp would use."""

    session: Any  # aiohttp.ClientSession
    headers: dict[str, str]
    timeout: Any  # aiohttp.ClientTimeout, from the client's timeout


_direct: dict[int, tuple[httpx.AsyncClient, DirectSession]] = {}


def direct_session(client: httpx.AsyncClient) -> DirectSession | None:
    """`client`'s aiohttp session, or None when it is not a plain client on the aiohttp backend (a
    test's mock transport, the httpx backend, event hooks or auth that httpx would run)."""
    hit = _direct.get(id(client))
    if hit is not None and hit[0] is client:
        return hit[1]
    from httpx_aiohttp import AiohttpTransport

    pool = getattr(client, "_transport", None)
    if (type(pool) is not AiohttpTransport or client._mounts or client.auth is not None
            or any(client.event_hooks.values()) or client.is_closed):
        return None
    import aiohttp

    if not isinstance(pool.client, aiohttp.ClientSession):
        pool.client = pool.get_client()  # what its first request would do
    direct = DirectSession(pool.client, dict(client.headers), aiohttp_timeout(client.timeout))
    if len(_direct) > 64:
        _direct.clear()
    _direct[id(client)] = (client, direct)
    return direct


def aiohttp_timeout(timeout: httpx.Timeout) -> Any:
    """httpx_aiohttp's mapping of an httpx timeout to aiohttp's."""
    import aiohttp

    return aiohttp.ClientTimeout(sock_connect=timeout.connect, sock_read=timeout.read, connect=timeout.pool)


def sync_client() -> httpx.Client:
    """The process-wide sync client (token minting, sync helpers). Safe to share between threads."""
    global _sync_client
    client = _sync_client
    if client is None:
        with _lock:
            if _sync_client is None:
                s = _settings
                _sync_client = httpx.Client(limits=s.limits(), timeout=s.timeout(), follow_redirects=False,
                                            trust_env=False)
            client = _sync_client
    return client


async def aclose() -> None:
    """Close the running loop's async client and the sync client (shutdown, tests)."""
    global _last, _sync_client
    loop = asyncio.get_running_loop()
    with _lock:
        client = _async_clients.pop(loop, None)
        if _last[0] is loop:
            _last = (None, None)
        sync, _sync_client = _sync_client, None
    if client is not None:
        await client.aclose()
    if sync is not None:
        sync.close()


async def aclose_loop() -> None:
    """Close only the running loop's async client (the sync client stays)."""
    global _last
    loop = asyncio.get_running_loop()
    with _lock:
        client = _async_clients.pop(loop, None)
        if _last[0] is loop:
            _last = (None, None)
    if client is not None:
        await client.aclose()


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code on a new event loop, and close that loop's client after it."""

    async def main() -> T:
        try:
            return await coro
        finally:
            await aclose_loop()

    return asyncio.run(main())


def _drop_closed_loops() -> None:
    """Forget the clients of loops that have closed (each `asyncio.run` leaves one behind)."""
    for loop in [lp for lp in _async_clients if lp.is_closed()]:
        _abandon(_async_clients.pop(loop))


def _abandon(client: httpx.AsyncClient) -> None:
    # Its loop is gone, so it cannot be awaited closed; its sockets went with the loop. Mark an
    # aiohttp session closed so that it does not warn "Unclosed client session" when collected.
    transport = getattr(client, "_transport", None)
    session = getattr(transport, "client", None)
    connector = getattr(session, "_connector", None)
    if session is not None and connector is not None:
        with contextlib.suppress(Exception):  # best effort on a dead loop
            connector._close()
        session._connector = None


def _disown(client: httpx.AsyncClient) -> None:
    # After a fork the parent still uses these connections, and its event loop's selector (an epoll
    # descriptor) is shared with the child: the child must not close them through that loop. Only
    # mark the aiohttp pool closed, so that collecting it in the child does not log "Unclosed client
    # session" / "Unclosed connector".
    transport = getattr(client, "_transport", None)
    session = getattr(transport, "client", None)
    connector = getattr(session, "_connector", None)
    if session is not None and connector is not None:
        connector._closed = True
        session._connector = None


def _reset_after_fork() -> None:
    # A forked child (Celery prefork) must not share its parent's sockets.
    global _last, _sync_client
    for client in _async_clients.values():
        with contextlib.suppress(Exception):
            _disown(client)
    _async_clients.clear()
    _last = (None, None)
    _sync_client = None


@atexit.register
def _abandon_dead_loop_clients() -> None:
    # Clients of loops that ended without `aclose()` (asyncio.run, test loops) would otherwise log
    # "Unclosed client session" from aiohttp while the interpreter shuts down.
    for loop, client in list(_async_clients.items()):
        if loop.is_closed() or not loop.is_running():
            _abandon(client)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
