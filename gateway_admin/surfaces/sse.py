"""Server-Sent Events answers over the call pipeline's stream events, for every surface.

The view returns a StreamingHttpResponse over an async generator, so under ASGI no thread is held
and each chunk is written to the client as soon as routing yields it. An error after the first
byte cannot change the status any more: it is sent as the surface's own error event and the
stream ends (never retried). The pipeline writes the request-log entry when the stream ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from django.http import StreamingHttpResponse

from gateway_admin.pipeline import Chunk, Done, Event, GatewayError
from gateway_admin.surfaces.http import SSE


async def sse_body(events: AsyncIterator[Event], *, frame: Callable[[Any], bytes],
                   error_frame: Callable[[GatewayError], bytes], done: bytes | None) -> AsyncIterator[bytes]:
    """The bytes of a stream: each chunk framed, then `done` (if any) or the error frame."""
    async for event in events:
        if isinstance(event, Chunk):
            yield frame(event.data)
        elif isinstance(event, Done):
            if done is not None:
                yield done
        else:
            yield error_frame(event.error)


def sse_response(body: AsyncIterator[bytes], *, content_type: str = SSE) -> StreamingHttpResponse:
    response = StreamingHttpResponse(body, content_type=content_type)
    # Proxies (nginx) must pass each event on at once instead of buffering the answer.
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


def as_is(data: bytes) -> bytes:
    """The frame of a native stream: routing hands over each event's bytes as Vertex sent them."""
    return data
