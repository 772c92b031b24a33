"""Server-Sent Events answers over the call pipeline's stream events.

The view returns a StreamingHttpResponse over an async generator, so under ASGI no thread is held
and each translated chunk is written to the client as soon as routing yields it. An error after
the first byte cannot change the status any more: it is sent as an error event and the stream
ends. The pipeline writes the request-log entry when the stream ends (finished, failed or
abandoned by the client: status 499, as nginx logs it).
"""

from __future__ import annotations

from typing import Any

from django.http import StreamingHttpResponse

from gateway_admin.pipeline import GatewayCall, GatewayError
from gateway_admin.surfaces.http import SSE_DONE, sse_data, sse_event
from gateway_admin.surfaces.sse import sse_body, sse_response

from ..errors import error_body


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
        self._last: dict[str, Any] | None = None

    def add(self, event: dict[str, Any]) -> None:
        if event is self._last:  # framing and body logging both hand each event over
            return
        self._last = event
        sequence = event.get("sequence_number")
        if isinstance(sequence, int):
            self.sequence = sequence
        if event.get("type") in ("response.completed", "response.incomplete", "response.failed"):
            self.final = event.get("response")

    def body(self) -> dict[str, Any] | None:
        return self.final


def chat_stream_response(call: GatewayCall, stream: Any) -> StreamingHttpResponse:
    events = call.events(stream, collector=ChatCollector())
    return sse_response(sse_body(events, frame=sse_data, error_frame=lambda err: sse_data(error_body(err)),
                          done=SSE_DONE))


def responses_stream_response(call: GatewayCall, stream: Any) -> StreamingHttpResponse:
    # The Responses stream numbers its events, and its final error event takes the next number.
    collector = ResponsesCollector()

    def frame(event: dict[str, Any]) -> bytes:
        collector.add(event)
        return sse_event(str(event.get("type", "message")), event)

    def error_frame(err: GatewayError) -> bytes:
        return sse_event("error", {"type": "error", "code": err.code, "message": err.message, "param": err.param,
                                   "sequence_number": collector.sequence + 1})

    events = call.events(stream, collector=collector)
    return sse_response(sse_body(events, frame=frame, error_frame=error_frame, done=None))
