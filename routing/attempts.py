"""The attempt loop behind Router: URL, token, call; retry, fail over, cool down; record every attempt.

Rules (ARCHITECTURE.md, "Upstream faults"): at most `policy.max_retries` retries of one slot (key,
region, target) on 429/500/502/503/504 and transport errors, with backoff and jitter and Retry-After
honoured; then the next slot: other regions that serve the model and that the key's
`region_failover` allows (routing.residency: global first, then anywhere, by default ("any");
the same residency zone under "geography"; none under "off"), then other keys.
401/403 drop the token and retry once with a fresh one; 400/404 and the rest are not retried, but a
404 teaches the catalog that the region does not serve the model and may move on to a region that
does. Streams are retried only until their first byte.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from routing import endpoints, transport
from routing.auth import TokenCache
from routing.candidates import Candidate
from routing.catalog import Catalog
from routing.config import ConfigError
from routing.errors import (
    AuthenticationError,
    ConfigurationError,
    RoutingError,
    TransportError,
    UpstreamError,
    UpstreamServerError,
    UpstreamTimeoutError,
    error_from_vertex,
)
from routing.families import FamilyAdapter, WireRequest
from routing.results import Attempt, RouteResult
from routing.retry import Cooldowns, RetryPolicy, parse_retry_after
from routing.route_stream import RouteStream, StreamRoute

Json = dict[str, Any]
_REDACTED = "Bearer [redacted]"
_URL_CACHE_MAX = 4096


@dataclass(frozen=True)
class Slot:
    """One place to send the call: a candidate (key + target) in a region."""

    cand: Candidate
    region: str


@dataclass
class Call:
    """What to send: the caller's alias, the adapter capability, and how to build the wire request."""

    model: str
    capability: str
    build: Callable[[FamilyAdapter, Candidate], WireRequest]


@dataclass
class _Exchange:
    status: int
    headers: Mapping[str, str]  # httpx.Headers, or aiohttp's headers on the direct path
    body: bytes | None
    response: Any = None  # httpx.Response, or _DirectResponse: what RouteStream reads and closes
    raw: Any = None
    first: bytes = b""


class AttemptRunner:
    def __init__(self, *, catalog: Catalog, base_url: str | None, tokens: TokenCache, policy: RetryPolicy,
                 client: httpx.AsyncClient | None, cooldowns: Cooldowns) -> None:
        self.catalog = catalog
        self.base_url = base_url
        self.tokens = tokens
        self.policy = policy
        self.client = client
        self.cooldowns = cooldowns
        self._timeout: Any = httpx.USE_CLIENT_DEFAULT
        self._aio_timeout: Any = None  # self._timeout for aiohttp (routing/transport.py DirectSession)
        if policy.timeout is not None or policy.connect_timeout is not None:
            default = self._timeout_default()
            self._timeout = httpx.Timeout(policy.timeout if policy.timeout is not None else default.read,
                                          connect=policy.connect_timeout if policy.connect_timeout is not None
                                          else default.connect)
        # (project, region, resource, query) -> (url, parsed url, host); parsing a URL costs httpx ~0.1 ms.
        self._urls: dict[tuple[Any, ...], tuple[str, httpx.URL, str]] = {}

    # -- plan ------------------------------------------------------------------------------------

    def plan(self, candidates: Sequence[Candidate]) -> Iterator[Slot]:
        """Slots in order: each candidate's own region, then (lazily) other regions serving its
        target that the key's `region_failover` allows (global first by default; the same residency
        zone under "geography"); slots cooling down come last. Computed only as far as it is used."""
        seen: set[tuple[str, str, str]] = set()
        deferred: list[Slot] = []
        policy = self.policy
        cooling = self.cooldowns.cooling
        key_cooling = self.cooldowns.key_cooling
        for cand in candidates:
            key_aside = key_cooling(cand.key.key_id)
            regions: Iterator[str] = iter((cand.region,))
            if policy.region_failover and cand.family != "tuned":
                regions = _chain_lazy(cand.region, functools.partial(self._failover_regions, cand))
            for region in regions:
                ident = (cand.key.key_id, region, cand.target)
                if ident in seen:
                    continue
                seen.add(ident)
                slot = Slot(cand, region)
                if key_aside or cooling(ident):
                    deferred.append(slot)
                else:
                    yield slot
        yield from deferred

    def _failover_regions(self, cand: Candidate) -> list[str]:
        regions = self.catalog.failover_regions(cand.target, cand.region, mode=cand.key.region_failover)
        return list(regions[: self.policy.max_failover_regions])

    # -- non-streaming ---------------------------------------------------------------------------

    async def run(self, call: Call, slots: Iterator[Slot] | Sequence[Slot],
                  parse: Callable[[Any, Json], Json]) -> RouteResult:
        started = time.perf_counter()

        def finish(slot: Slot, wire: Any, url: str, host: str, ex: _Exchange, attempts: list[Attempt]
                   ) -> RouteResult:
            cand = slot.cand
            try:
                body = orjson.loads(ex.body or b"")
            except orjson.JSONDecodeError:
                raise UpstreamServerError(
                    f"Vertex answered {cand.target} in {slot.region} with a body that is not valid JSON.",
                    upstream_status=ex.status) from None
            try:
                response = parse(cand.adapter, body)
            except RoutingError:
                raise
            except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
                raise UpstreamError(
                    f"Vertex answered {cand.target} in {slot.region} in a shape this gateway does not "
                    f"understand ({type(exc).__name__}).", upstream_status=ex.status, upstream_body=body
                ) from None
            return RouteResult(
                response=response, attempts=attempts, key_id=cand.key.key_id, key_name=cand.key.name,
                region=slot.region, host=host, target=cand.target, family=cand.family,
                latency_ms=(time.perf_counter() - started) * 1000,
                usage=response.get("usage") if isinstance(response, dict) else None,
                wire_request=_wire_request(wire, url), wire_response={"status": ex.status, "body": body})

        return await self._route(call, slots, finish, stream=False)

    # -- streaming -------------------------------------------------------------------------------

    async def stream(self, call: Call, slots: Iterator[Slot] | Sequence[Slot],
                     make_translator: Callable[[Any], Any], transform: Any = None) -> RouteStream:
        started = time.perf_counter()

        def finish(slot: Slot, wire: Any, url: str, host: str, ex: _Exchange, attempts: list[Attempt]
                   ) -> RouteStream:
            cand = slot.cand
            route = StreamRoute(attempts=attempts, key_id=cand.key.key_id, key_name=cand.key.name,
                                region=slot.region, host=host, target=cand.target, family=cand.family,
                                model=call.model, wire_request=_wire_request(wire, url))
            assert ex.response is not None
            return RouteStream(route, ex.response, ex.raw, ex.first, make_translator(cand.adapter),
                               started=started, transform=transform)

        return await self._route(call, slots, finish, stream=True)

    # -- the loop --------------------------------------------------------------------------------

    async def route(self, call: Call, slots: Iterator[Slot] | Sequence[Slot], finish: Callable[..., Any], *,
                    stream: bool) -> Any:
        """The attempt loop with a caller's own `finish(slot, wire, url, host, exchange, attempts)`,
        called on the first 2xx (the native calls in routing.native build their results with it)."""
        return await self._route(call, slots, finish, stream=stream)

    async def _route(self, call: Call, slots: Iterator[Slot] | Sequence[Slot],
                     finish: Callable[..., Any], *, stream: bool) -> Any:
        policy = self.policy
        client = self.client or transport.async_client()
        attempts: list[Attempt] = []
        error: RoutingError | None = None
        refreshed: set[str] = set()  # keys whose one token refresh of this call (401/403) is used
        only_served = False  # after a 404: only regions the catalog says serve the target
        used = 0
        broken_keys: set[str] = set()
        try:
            for slot in slots:
                cand, region = slot.cand, slot.region
                if cand.key.key_id in broken_keys or (
                        only_served and self.catalog.is_served(cand.target, region) is not True):
                    continue
                if used > policy.max_failovers:
                    break
                used += 1
                wire = call.build(cand.adapter, cand)
                t0 = time.perf_counter()
                host = ""
                try:
                    url, parsed, host = self._url(cand, region, wire)
                    first_token: str | None = await self.tokens.token(cand.key)
                except (ConfigurationError, AuthenticationError) as exc:
                    # This key cannot be used at all (bad project/region, no token): record it, and
                    # let another key that carries the model answer.
                    attempts.append(Attempt(cand.key.key_id, cand.key.name, region, host, cand.target, None,
                                            exc.user_message, (time.perf_counter() - t0) * 1000,
                                            bool(attempts) and attempts[-1].key_id != cand.key.key_id))
                    broken_keys.add(cand.key.key_id)
                    if isinstance(exc, AuthenticationError):
                        self.cooldowns.key_failure(cand.key.key_id, policy, exc.user_message)
                    error = exc
                    continue
                content = orjson.dumps(wire.body) if wire.body is not None else None
                ident = (cand.key.key_id, region, cand.target)
                failures = 0
                while True:
                    if first_token is not None:
                        token, first_token = first_token, None
                    else:
                        token = await self.tokens.token(cand.key)
                    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
                    if wire.headers:
                        headers.update(wire.headers)
                    moved = bool(attempts) and (attempts[-1].key_id != cand.key.key_id
                                                or attempts[-1].region != region)
                    t0 = time.perf_counter()
                    status: int | None = None
                    try:
                        ex = await self._exchange(client, wire.method, parsed, content, headers, stream)
                        status = ex.status
                        if 200 <= status < 300:
                            attempt = Attempt(cand.key.key_id, cand.key.name, region, host, cand.target, status,
                                              None, (time.perf_counter() - t0) * 1000, moved)
                            attempts.append(attempt)
                            try:
                                result = finish(slot, wire, url, host, ex, attempts)
                            except RoutingError as exc:
                                attempt.error = exc.user_message
                                raise
                            self.cooldowns.success(ident)
                            self.cooldowns.key_success(cand.key.key_id)
                            return result
                        err: RoutingError = error_from_vertex(
                            status, ex.body, target=cand.target, region=region, project_id=cand.key.project_id,
                            catalog=self.catalog, retry_after=parse_retry_after(ex.headers))
                    except httpx.HTTPError as exc:
                        # The message reaches the caller: name the region and model, never the host
                        # (behind a base-URL override it is a private address). Attempts keep `host`.
                        if _is_timeout(exc):
                            err = UpstreamTimeoutError(f"Vertex AI in {region} did not answer {cand.target} within "
                                                       f"{self._wait_of(exc)} ({type(exc).__name__}).")
                        else:
                            err = TransportError(f"Could not reach Vertex AI in {region} for {cand.target} "
                                                 f"({_cause_name(exc)}).")
                    except UpstreamServerError as exc:  # a 200 whose body is not JSON
                        err = exc
                    if status is None or not (200 <= status < 300):
                        attempts.append(Attempt(cand.key.key_id, cand.key.name, region, host, cand.target, status,
                                                err.user_message, (time.perf_counter() - t0) * 1000, moved))
                    error = err
                    if status in (401, 403) and cand.key.key_id not in refreshed:
                        refreshed.add(cand.key.key_id)
                        self.tokens.invalidate(cand.key, token)
                        continue
                    if status in (401, 403):
                        # Refused even with a fresh token: the key's credential does not work here.
                        # Put it aside like a region answering 429, and let another key answer.
                        self.cooldowns.key_failure(cand.key.key_id, policy, err.user_message)
                        broken_keys.add(cand.key.key_id)
                        break
                    if status == 404:
                        if cand.family != "tuned":
                            self.catalog.learn_not_served(cand.target, region)
                        only_served = True
                        break
                    if not err.retryable:
                        raise err
                    self.cooldowns.failure(ident, policy)
                    failures += 1
                    if failures > policy.max_retries:
                        break
                    await asyncio.sleep(policy.backoff(failures, err.retry_after))
        except RoutingError as exc:
            exc.attempts = attempts
            raise
        if error is None:
            error = ConfigurationError(f"No key/region could be tried for {call.model}.")
        error.attempts = attempts
        raise error

    async def _exchange(self, client: httpx.AsyncClient, method: str, url: httpx.URL, content: bytes | None,
                        headers: dict[str, str], stream: bool) -> _Exchange:
        if not stream:
            direct = transport.direct_session(client)
            if direct is not None:
                return await self._direct_exchange(direct, method, url, content, headers)
            resp = await client.request(method, url, content=content, headers=headers, timeout=self._timeout)
            return _Exchange(resp.status_code, resp.headers, resp.content)
        direct = transport.direct_session(client)
        if direct is not None:
            return await self._direct_exchange(direct, method, url, content, headers, stream=True)
        request = client.build_request(method, url, content=content, headers=headers, timeout=self._timeout)
        resp = await client.send(request, stream=True)
        try:
            if resp.status_code != 200:
                body = await resp.aread()
                await resp.aclose()
                return _Exchange(resp.status_code, resp.headers, body)
            raw = resp.aiter_bytes()
            # Wait for the first bytes here: until they arrive, a failure may still be retried.
            first = b""
            while not first:
                try:
                    first = await raw.__anext__()
                except StopAsyncIteration:
                    raise httpx.RemoteProtocolError("the stream ended before its first event") from None
        except BaseException:
            await resp.aclose()
            raise
        return _Exchange(200, resp.headers, None, resp, raw, first)

    async def _direct_exchange(self, direct: transport.DirectSession, method: str, url: httpx.URL,
                               content: bytes | None, headers: dict[str, str], *, stream: bool = False
                               ) -> _Exchange:
        """An exchange on the client's aiohttp session without httpx's Request and Response objects
        (the same request headers, timeouts and exception mapping as httpx_aiohttp's transport;
        bodies decoded and streams read as it does). bench/upstream_bench.py: httpx's request
        building and response wrapping were ~20% of a worker's samples per chat call."""
        from httpx_aiohttp.transport import map_aiohttp_exceptions
        from multidict import CIMultiDict

        timeout = direct.timeout
        if isinstance(self._timeout, httpx.Timeout):
            timeout = self._aio_timeout
            if timeout is None:
                timeout = self._aio_timeout = transport.aiohttp_timeout(self._timeout)
        merged = CIMultiDict(direct.headers)
        merged.update(headers)  # case-insensitively, as httpx merges a request's headers
        if not stream:
            with map_aiohttp_exceptions():
                async with direct.session.request(method, str(url), headers=merged, data=content or None,
                                                  allow_redirects=False, compress=False, timeout=timeout) as resp:
                    body = await resp.read()
            return _Exchange(resp.status, resp.headers, body)
        with map_aiohttp_exceptions():
            resp = await direct.session.request(method, str(url), headers=merged, data=content or None,
                                                allow_redirects=False, compress=False, timeout=timeout)
        response = _DirectResponse(resp)
        try:
            if resp.status != 200:
                with map_aiohttp_exceptions():
                    body = await resp.read()
                await response.aclose()
                return _Exchange(resp.status, resp.headers, body)
            raw = response.aiter_bytes()
            first = b""
            while not first:  # as above: a failure before the first bytes may still be retried
                try:
                    first = await raw.__anext__()
                except StopAsyncIteration:
                    raise httpx.RemoteProtocolError("the stream ended before its first event") from None
        except BaseException:
            await response.aclose()
            raise
        return _Exchange(200, resp.headers, None, response, raw, first)

    @staticmethod
    def _timeout_default() -> httpx.Timeout:
        return transport.settings().timeout()

    def _wait_of(self, exc: httpx.HTTPError) -> str:
        """The wait that ran out, for the message ("10 s to connect", "120 s")."""
        timeout = self._timeout if isinstance(self._timeout, httpx.Timeout) else self._timeout_default()
        if isinstance(exc, httpx.ConnectTimeout):
            return f"{timeout.connect:g} s to connect"
        return f"{timeout.read:g} s"

    def _url(self, cand: Candidate, region: str, wire: Any) -> tuple[str, httpx.URL, str]:
        version = getattr(wire, "api_version", "v1")
        key = (cand.key.project_id, region, wire.resource, tuple(wire.query.items()) if wire.query else (), version)
        hit = self._urls.get(key)
        if hit is not None:
            return hit
        try:
            url = endpoints.build_url(project_id=cand.key.project_id, region=region, resource=wire.resource,
                                      override=self.base_url, query=wire.query or None, api_version=version)
            url = endpoints.check_url(url, override=self.base_url)
        except ConfigError as exc:
            raise ConfigurationError(f"Key {cand.key.name or cand.key.key_id}: {exc.field}: {exc.message}") from None
        parsed = httpx.URL(url)
        hit = (url, parsed, parsed.netloc.decode("ascii"))
        if len(self._urls) >= _URL_CACHE_MAX:
            self._urls.clear()
        self._urls[key] = hit
        return hit


class _DirectResponse:
    """A streamed aiohttp answer with what the route streams use of an httpx.Response: its headers
    (the native streams relay Vertex's content type), its body in chunks (httpx_aiohttp's chunking
    and exception mapping) and `aclose()`."""

    CHUNK_SIZE = 16 * 1024

    def __init__(self, resp: Any) -> None:
        self._resp = resp
        self.headers: Mapping[str, str] = resp.headers
        self._closed = False

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        from httpx_aiohttp.transport import map_aiohttp_exceptions

        with map_aiohttp_exceptions():
            async for chunk in self._resp.content.iter_chunked(self.CHUNK_SIZE):
                yield chunk

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        from httpx_aiohttp.transport import map_aiohttp_exceptions

        with map_aiohttp_exceptions():
            await self._resp.__aexit__(None, None, None)


def _is_timeout(exc: httpx.HTTPError) -> bool:
    # httpx_aiohttp maps every aiohttp connection error, "connection refused" included, to
    # ConnectTimeout; the aiohttp exception underneath says what really happened.
    if not isinstance(exc, httpx.TimeoutException):
        return False
    cause = exc.__cause__
    return cause is None or isinstance(cause, TimeoutError) or "Timeout" in type(cause).__name__


def _cause_name(exc: BaseException) -> str:
    cause = exc.__cause__
    if isinstance(exc, httpx.TimeoutException) and cause is not None:
        return type(cause).__name__
    return type(exc).__name__


def wire_request(wire: Any, url: str) -> Json:
    """What was sent, for logs: method, URL, headers (Authorization redacted) and body."""
    return _wire_request(wire, url)


def _wire_request(wire: Any, url: str) -> Json:
    headers = {"Authorization": _REDACTED, "Content-Type": "application/json", **(wire.headers or {})}
    return {"method": wire.method, "url": url, "headers": headers, "body": wire.body}


def _chain_lazy(first: str, rest: Callable[[], list[str]]) -> Iterator[str]:
    yield first
    yield from rest()
