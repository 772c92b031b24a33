"""Server-Sent Events answers over routing streams, passed through as Vertex sends them.

The view returns a StreamingHttpResponse over an async generator, so under ASGI no thread is held
and each translated chunk is written to the client as soon as routing yields it. An error after
the first byte cannot change the status any more: it is sent as an error event and the stream
ends. The request-log row is queued when the stream ends (finished, failed or abandoned by the
client: status 499, as nginx logs it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from django.http import StreamingHttpResponse

from routing.errors import RoutingError

from ..errors import ApiError, from_routing_error, server_error
from ..http import SSE, SSE_DONE, sse_data, sse_event
from .base import CLIENT_CLOSED, Call

logger = logging.getLogger("gateway_admin.openai_api")



class ChatCollector:
    """Keeps the answer text of a chat stream for body logging."""

    def __init__(self) -> None:
        self.content: list[str] = []
        self.tool_calls: dict[int, dict[str, Any]] = {}
        self.finish_reason: str | None = None

    def add(self, chunk: dict[str, Any]) -> None:
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            if isinstance(delta.get("content"), str):
                self.content.append(delta["content"])
            for call in delta.get("tool_calls") or ():
                slot = self.tool_calls.setdefault(call.get("index", 0), {"id": None, "name": "", "arguments": ""})
                slot["id"] = call.get("id") or slot["id"]
                fn = call.get("function") or {}
                slot["name"] += fn.get("name") or ""
                slot["arguments"] += fn.get("arguments") or ""
            self.finish_reason = choice.get("finish_reason") or self.finish_reason

    def body(self) -> dict[str, Any]:
        return {"content": "".join(self.content), "tool_calls": list(self.tool_calls.values()) or None,
                "finish_reason": self.finish_reason}


class ResponsesCollector:
    def __init__(self) -> None:
        self.final: dict[str, Any] | None = None
        self.sequence = 0

    def add(self, event: dict[str, Any]) -> None:
        sequence = event.get("sequence_number")
        if isinstance(sequence, int):
            self.sequence = sequence
        if event.get("type") in ("response.completed", "response.incomplete", "response.failed"):
            self.final = event.get("response")

    def body(self) -> dict[str, Any] | None:
        return self.final


def _chat_error(err: ApiError, _collector: Any) -> bytes:
    return sse_data(err.body())


def _responses_error(err: ApiError, collector: ResponsesCollector) -> bytes:
    return sse_event("error", {"type": "error", "code": err.code, "message": err.message, "param": err.param,
                               "sequence_number": collector.sequence + 1})


async def _relay(
    call: Call,
    stream: Any,
    *,
    frame: Callable[[dict[str, Any]], bytes],
    collector: Any,
    error_frame: Callable[[ApiError, Any], bytes],
    done: bytes | None,
) -> AsyncIterator[bytes]:
    status = 200
    error: ApiError | None = None
    keep = call.token is not None and call.token.log_bodies
    # The Responses collector also numbers a final error event, so it always runs.
    track = keep or isinstance(collector, ResponsesCollector)
    try:
        async for item in stream:
            if track:
                collector.add(item)
            yield frame(item)
        if done is not None:
            yield done
    except asyncio.CancelledError:
        status = CLIENT_CLOSED
        raise
    except GeneratorExit:
        status = CLIENT_CLOSED
        raise
    except RoutingError as exc:
        error = from_routing_error(exc)
        status = error.status
        yield error_frame(error, collector)
    except Exception:
        logger.exception("a /v1 stream failed")
        error = server_error()
        status = error.status
        yield error_frame(error, collector)
    finally:
        try:
            await stream.aclose()
        except Exception:
            logger.warning("closing an upstream stream failed", exc_info=True)
        call.log(status=status, source=stream, error=error, usage=getattr(stream, "usage", None),
                 ttft_ms=getattr(stream, "ttft_ms", None), response_body=collector.body() if keep else None)


def _response(body: AsyncIterator[bytes]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(body, content_type=SSE)
    # Proxies (nginx) must pass each event on at once instead of buffering the answer.
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


def chat_stream_response(call: Call, stream: Any) -> StreamingHttpResponse:
    call.deferred = True
    return _response(_relay(call, stream, frame=sse_data, collector=ChatCollector(), error_frame=_chat_error,
                            done=SSE_DONE))


def responses_stream_response(call: Call, stream: Any) -> StreamingHttpResponse:
    call.deferred = True

    def frame(event: dict[str, Any]) -> bytes:
        return sse_event(str(event.get("type", "message")), event)

    return _response(_relay(call, stream, frame=frame, collector=ResponsesCollector(),
                            error_frame=_responses_error, done=None))
