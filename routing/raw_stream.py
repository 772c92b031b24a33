"""RawRouteStream: an upstream stream relayed as bytes, event by event, while usage is read on the way.

The native calls (`Router.messages_stream`, the streaming `Router.vertex` actions) hand the caller
bytes, not parsed chunks. The router has already chosen the key and region and received the 200 and
the first bytes; from here on nothing is retried. A `Relay` decides what each upstream SSE event
becomes:

- `RawRelay` yields every event's bytes exactly as Vertex sent them (`event: ...\\ndata: ...\\n\\n`,
  line endings and all) and parses usage from Claude's message_start/message_delta or Gemini's
  usageMetadata;
- `routing.messages.TranslatingRelay` turns another family's events into Anthropic SSE events.

An upstream error event (Claude `event: error`, Gemini `{"error": ...}`), a broken connection or an
event that is not JSON ends the stream with one StreamInterruptedError (the error event itself is
not relayed: the surface writes its own error event from `upstream_body`). Streams that are not SSE
(Gemini's streamGenerateContent without `alt=sse`, a JSON array) are relayed chunk by chunk as they
arrive and their usage is read from the whole body at the end.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any, Protocol

import httpx
import orjson

from routing.errors import RoutingError, StreamInterruptedError
from routing.families.common import stream_error
from routing.route_stream import StreamRoute, UpstreamStream
from routing.sse import SSEDecoder
from routing.usage import UsageReader

Json = dict[str, Any]
_EVENT_ENDS = (b"\r\n\r\n", b"\n\n", b"\r\r")


class Relay(Protocol):
    usage: Json | None

    def feed(self, raw: bytes, event: str | None, data: Json) -> list[bytes]:
        """One upstream event: its raw bytes and its parsed JSON data; the bytes to hand on."""
        ...

    def finish(self) -> list[bytes]:
        """Bytes to hand on after the last upstream event."""
        ...


class RawRelay:
    """Relays each event unmodified; reads usage (normalised) and refuses error events."""

    def __init__(self, family: str) -> None:
        self._family = family
        self._usage = UsageReader()
        self.usage: Json | None = None

    def feed(self, raw: bytes, event: str | None, data: Json) -> list[bytes]:
        if (data.get("type") or event) == "error" or (self._family != "anthropic" and "error" in data):
            name = "Claude" if self._family == "anthropic" else "Gemini"
            raise stream_error(name, data.get("error") or data)
        if self._usage.read(data):
            self.usage = self._usage.normalised()
        return [raw]

    def finish(self) -> list[bytes]:
        return []


def split_events(buffer: bytearray) -> list[bytes]:
    """Cut the complete SSE events (each ending in a blank line, its terminator included) off the
    front of `buffer`; an incomplete event stays in it."""
    out: list[bytes] = []
    while True:
        ends = [(i, len(sep)) for sep in _EVENT_ENDS if (i := buffer.find(sep)) != -1]
        if not ends:
            return out
        at, size = min(ends)
        out.append(bytes(buffer[: at + size]))
        del buffer[: at + size]


class RawRouteStream(UpstreamStream[bytes]):
    """Async iterator of bytes (one SSE event per item when the upstream speaks SSE).

    Same route fields as RouteStream (attempts, key_id, key_name, region, host, target, family,
    model, wire_request, betas_dropped); `ttft_ms` is set when the first item is handed on, `usage`
    (normalised, see RouteResult) and `latency_ms` at the end. Iterate to the end or `aclose()`.
    """

    def __init__(self, route: StreamRoute, response: httpx.Response, raw: AsyncIterator[bytes], first: bytes,
                 relay: Relay, *, started: float, sse: bool = True) -> None:
        super().__init__(route, response, raw, first, started=started)
        self.status = 200
        # What Vertex said it sent: text/event-stream, or application/json for a JSON-array stream.
        self.content_type: str = response.headers.get("content-type", "") if hasattr(response, "headers") else ""
        self._relay = relay
        self._sse = sse
        self._pending = bytearray()
        self._whole = bytearray()  # non-SSE streams only: parsed for usage at the end
        self._decoder = SSEDecoder()

    async def _pull(self) -> None:
        try:
            if self._first is not None:
                chunk, self._first = self._first, None
            else:
                try:
                    chunk = await self._raw.__anext__()
                except StopAsyncIteration:
                    self._end_of_stream()
                    await self._end()
                    return
            if self._sse:
                self._pending += chunk
                for raw in split_events(self._pending):
                    self._event(raw)
            else:
                self._whole += chunk
                self._buffer.append(chunk)
        except RoutingError as exc:
            await self._fail(exc if isinstance(exc, StreamInterruptedError)
                             else StreamInterruptedError(exc.user_message, upstream_body=exc.upstream_body))
        except httpx.HTTPError as exc:
            await self._fail(StreamInterruptedError(
                f"The stream from Vertex AI ({self.target} in {self.region}) broke after it started "
                f"({type(exc).__name__}); the partial answer cannot be resumed, so it was not retried."))

    def _event(self, raw: bytes) -> None:
        for event, data in self._decoder.feed(raw):
            if data == "[DONE]":
                self._buffer.append(raw)
                continue
            try:
                parsed = orjson.loads(data)
            except orjson.JSONDecodeError:
                raise StreamInterruptedError(
                    f"The stream from Vertex AI ({self.target} in {self.region}) sent an event that is "
                    "not valid JSON; the answer was cut short.") from None
            if isinstance(parsed, dict):
                self._buffer.extend(self._relay.feed(raw, event, parsed))
            else:
                self._buffer.append(raw)

    def _end_of_stream(self) -> None:
        if self._sse:
            if self._pending.strip():  # a last event without its blank line
                self._event(bytes(self._pending) + b"\n\n")
            self._pending.clear()
        else:
            try:
                whole = orjson.loads(self._whole) if self._whole else []
            except orjson.JSONDecodeError:
                whole = []
            reader = UsageReader()
            for item in whole if isinstance(whole, list) else [whole]:
                if isinstance(item, dict):
                    reader.read(item)
            self._relay.usage = reader.normalised() if reader.seen else None
        self._buffer.extend(self._relay.finish())
        self.usage = self._relay.usage

    async def _end(self) -> None:
        self._done = True
        self.latency_ms = (time.perf_counter() - self._started) * 1000
        await self._response.aclose()

    async def _fail(self, error: StreamInterruptedError) -> None:
        await self._end()
        self.usage = self._relay.usage
        if self.attempts:
            self.attempts[-1].error = error.user_message
        error.attempts = self.attempts
        self._error = error
