"""A small HTTP/1.1 server on asyncio + httptools (+ uvloop when present).

Chosen by measurement (bench/emulator_load.py, one pinned core, non-streaming generateContent):
this server costs about 80-90 us of CPU per request (~11,000 requests per CPU-second), while the same
handler behind aiohttp.web cost about 240 us (~4,100/s).
It does what the emulator needs and nothing more: keep-alive, Content-Length bodies, chunked
streams flushed per event, a delay before the first byte, a delay per event, and a cut that drops
the connection mid-stream.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

import httptools
import orjson


@dataclass
class Request:
    method: str
    path: str  # percent-decoded
    raw_path: str
    query_string: str
    headers: dict[str, str]
    body: bytes
    _json: Any = field(default=None, repr=False)
    _json_done: bool = field(default=False, repr=False)

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is empty or not JSON."""
        if not self._json_done:
            self._json_done = True
            if self.body:
                try:
                    self._json = orjson.loads(self.body)
                except orjson.JSONDecodeError:
                    self._json = None
        return self._json

    def query(self) -> dict[str, str]:
        from urllib.parse import parse_qsl

        return dict(parse_qsl(self.query_string, keep_blank_values=True))


@dataclass
class Reply:
    """An answer: `body` for a plain response, `events` (iterable of encoded chunks) for a stream."""

    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = "application/json; charset=UTF-8"
    events: Iterable[bytes] | AsyncIterator[bytes] | None = None
    delay_ms: int = 0
    event_delay_ms: int = 0
    cut_after: int | None = None


def json_reply(data: Any, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Reply:
    return Reply(status=status, body=orjson.dumps(data), headers=headers or [])


Handler = Callable[[Request], Awaitable[Reply]]

_REASONS = {s.value: s.phrase for s in HTTPStatus}


class _Connection(asyncio.Protocol):
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.queue: asyncio.Queue[Request | None] = asyncio.Queue()
        self.worker: asyncio.Task[None] | None = None
        self._url = b""
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._can_write = asyncio.Event()
        self._can_write.set()
        self.closed = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.worker = asyncio.get_running_loop().create_task(self._work())

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._can_write.set()
        self.queue.put_nowait(None)

    def pause_writing(self) -> None:
        self._can_write.clear()

    def resume_writing(self) -> None:
        self._can_write.set()

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._abort()
        except httptools.HttpParserError:
            if self.transport is not None:
                self.transport.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                self.transport.close()

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = {}
        self._body = []

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        raw = self._url.decode("latin-1")
        raw_path, _, query = raw.partition("?")
        request = Request(
            method=self.parser.get_method().decode(),
            path=unquote(raw_path),
            raw_path=raw_path,
            query_string=query,
            headers=self._headers,
            body=b"".join(self._body),
        )
        if not self.parser.should_keep_alive():
            request.headers.setdefault("connection", "close")
        self.queue.put_nowait(request)

    # work
    def _abort(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.abort()
        self.closed = True

    async def _work(self) -> None:
        while True:
            request = await self.queue.get()
            if request is None or self.closed:
                return
            try:
                reply = await self.handler(request)
            except Exception as exc:  # a bug in a handler must not take the server down
                reply = json_reply(
                    {"error": {"code": 500, "message": f"emulator error: {exc!r}", "status": "INTERNAL"}}, 500
                )
            keep_alive = request.headers.get("connection", "").lower() != "close"
            try:
                await self._send(reply, keep_alive)
            except ConnectionError:
                self._abort()
            if not keep_alive or self.closed:
                if self.transport is not None and not self.closed:
                    self.transport.close()
                return

    async def _send(self, reply: Reply, keep_alive: bool) -> None:
        transport = self.transport
        assert transport is not None
        if reply.delay_ms:
            await asyncio.sleep(reply.delay_ms / 1000)
            if self.closed:
                return
        head = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Unknown')}"]
        head.append(f"Content-Type: {reply.content_type}")
        for name, value in reply.headers:
            head.append(f"{name}: {value}")
        if not keep_alive:
            head.append("Connection: close")
        if reply.events is None:
            body = reply.body
            head.append(f"Content-Length: {len(body)}")
            if reply.cut_after is not None:
                transport.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body[: len(body) // 2])
                await asyncio.sleep(0.01)
                self._abort()
                return
            transport.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
            if not self._can_write.is_set():
                await self._can_write.wait()
            return
        head.append("Transfer-Encoding: chunked")
        head.append("Cache-Control: no-cache")
        transport.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        sent = 0
        async for chunk in _aiter(reply.events):
            if reply.cut_after is not None and sent >= reply.cut_after:
                # let the written events reach the client before the connection drops
                await asyncio.sleep(0.01)
                self._abort()
                return
            if reply.event_delay_ms and sent:
                await asyncio.sleep(reply.event_delay_ms / 1000)
            if self.closed:
                return
            transport.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += 1
            if not self._can_write.is_set():
                await self._can_write.wait()
            # yield so each event leaves as its own write even when nothing sleeps
            await asyncio.sleep(0)
        if reply.cut_after is not None and sent >= reply.cut_after:
            await asyncio.sleep(0.01)
            self._abort()
            return
        transport.write(b"0\r\n\r\n")


async def _aiter(events: Iterable[bytes] | AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if hasattr(events, "__aiter__"):
        async for item in events:  # type: ignore[union-attr]
            yield item
    else:
        for item in events:  # type: ignore[union-attr]
            yield item


async def start_server(handler: Handler, host: str, port: int) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: _Connection(handler), host, port, backlog=2048)


def install_uvloop() -> None:
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
