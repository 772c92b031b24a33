"""RouteStream: an upstream SSE answer translated chunk by chunk as the bytes arrive.

The router has already chosen the key and region, received the 200 and the first bytes (so it could
still retry before them). From here on nothing is retried: a broken connection, a malformed event or
an error event becomes one StreamInterruptedError for the caller, and the connection is closed.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, Self, TypeVar

import httpx
import orjson

from routing.errors import RoutingError, StreamInterruptedError
from routing.results import Attempt
from routing.sse import SSEDecoder

Json = dict[str, Any]
T = TypeVar("T")


class ChunkTranslator(Protocol):
    usage: Json | None

    def feed(self, event: str | None, data: Json | str) -> list[Json]: ...

    def finish(self) -> list[Json]: ...


class ChunkTransform(Protocol):
    """Turns OpenAI chat chunks into another stream shape (Responses API events)."""

    def feed(self, chunk: Json) -> list[Json]: ...

    def finish(self) -> list[Json]: ...


@dataclass
class StreamRoute:
    """Where the stream comes from (the same fields RouteResult has)."""

    attempts: list[Attempt]
    key_id: str
    key_name: str
    region: str
    host: str
    target: str
    family: str
    model: str
    wire_request: dict[str, Any]
    betas_dropped: list[str] = field(default_factory=list)


class UpstreamStream(Generic[T]):
    """What every routed stream shares: the route it came from, the first bytes the router already
    read, a buffer of items its `_pull()` fills as the upstream's bytes arrive, `ttft_ms` at the
    first item handed on, and closing the connection once (also as an async context manager).
    An error `_pull()` stores in `_error` is raised once the items before it are handed on."""

    def __init__(self, route: StreamRoute, response: Any, raw: AsyncIterator[bytes], first: bytes, *,
                 started: float) -> None:
        self.attempts = route.attempts
        self.key_id = route.key_id
        self.key_name = route.key_name
        self.region = route.region
        self.host = route.host
        self.target = route.target
        self.family = route.family
        self.model = route.model
        self.wire_request = route.wire_request
        self.betas_dropped = route.betas_dropped
        self.ttft_ms: float | None = None
        self.usage: Json | None = None
        self.latency_ms: float | None = None
        self._response = response
        self._raw = raw
        self._first: bytes | None = first
        self._buffer: deque[T] = deque()
        self._started = started
        self._done = False
        self._error: StreamInterruptedError | None = None

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        while not self._buffer:
            if self._error is not None:
                error, self._error = self._error, None
                raise error
            if self._done:
                raise StopAsyncIteration
            await self._pull()
        item = self._buffer.popleft()
        if self.ttft_ms is None:
            self.ttft_ms = (time.perf_counter() - self._started) * 1000
        return item

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop reading and release the connection (safe to call more than once)."""
        self._done = True
        self._error = None
        self._buffer.clear()
        await self._response.aclose()

    async def _pull(self) -> None:
        raise NotImplementedError


class RouteStream(UpstreamStream[Json]):
    """Async iterator of OpenAI chat chunks (or Responses events); `usage` is set at the end.

    `ttft_ms` is the time from the call to the first chunk handed to the caller. Always iterate to
    the end or call `aclose()` (it is also an async context manager).
    """

    def __init__(self, route: StreamRoute, response: Any, raw: AsyncIterator[bytes],
                 first: bytes, translator: ChunkTranslator, *, started: float,
                 transform: ChunkTransform | None = None) -> None:
        super().__init__(route, response, raw, first, started=started)
        self._translator = translator
        self._transform = transform
        self._decoder = SSEDecoder()

    async def _pull(self) -> None:
        try:
            if self._first is not None:
                raw, self._first = self._first, None
            else:
                try:
                    raw = await self._raw.__anext__()
                except StopAsyncIteration:
                    self._emit_events(self._decoder.finish())
                    self._emit(self._translator.finish(), final=True)
                    self.usage = self._translator.usage
                    await self._end()
                    return
            self._emit_events(self._decoder.feed(raw))
        except RoutingError as exc:
            await self._fail(exc if isinstance(exc, StreamInterruptedError)
                             else StreamInterruptedError(exc.user_message, upstream_body=exc.upstream_body))
        except httpx.HTTPError as exc:
            await self._fail(StreamInterruptedError(
                f"The stream from Vertex AI ({self.target} in {self.region}) broke after it started "
                f"({type(exc).__name__}); the partial answer cannot be resumed, so it was not retried."))

    def _emit_events(self, events: list[tuple[str | None, str]]) -> None:
        for event, data in events:
            if data == "[DONE]":
                continue
            try:
                parsed = orjson.loads(data)
            except orjson.JSONDecodeError:
                raise StreamInterruptedError(
                    f"The stream from Vertex AI ({self.target} in {self.region}) sent an event that is "
                    "not valid JSON; the answer was cut short.") from None
            self._emit(self._translator.feed(event, parsed))

    def _emit(self, chunks: list[Json], *, final: bool = False) -> None:
        transform = self._transform
        if transform is None:
            self._buffer.extend(chunks)
        else:
            for chunk in chunks:
                self._buffer.extend(transform.feed(chunk))
            if final:
                self._buffer.extend(transform.finish())

    async def _end(self) -> None:
        self._done = True
        self.latency_ms = (time.perf_counter() - self._started) * 1000
        await self._response.aclose()

    async def _fail(self, error: StreamInterruptedError) -> None:
        await self._end()
        if self.attempts:
            self.attempts[-1].error = error.user_message
        error.attempts = self.attempts
        raise error
