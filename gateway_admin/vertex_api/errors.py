"""Google-style errors for the Vertex pass-through: `{"error": {"code", "message", "status"}}`.

google-genai and the Vertex client libraries read `error.status` (the canonical gRPC status name)
and `error.message`; AnthropicVertex and Claude Code map the HTTP status. In a stream that already
started, the error is the stream's last event in the stream's own format: for Claude
(`:streamRawPredict`) Anthropic's `event: error`, for Gemini SSE a `data: {"error": ...}` event.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from gateway_admin.openai_api.http import json_response, sse_data
from gateway_admin.pipeline.errors import GatewayError

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "UNIMPLEMENTED",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def google_status(code: int) -> str:
    found = _STATUS.get(code)
    if found is not None:
        return found
    return "INTERNAL" if code >= 500 else "FAILED_PRECONDITION" if code >= 400 else "UNKNOWN"


def error_body(err: GatewayError) -> dict[str, Any]:
    return {"error": {"code": err.status, "message": err.message, "status": google_status(err.status)}}


def error_response(err: GatewayError) -> HttpResponse:
    return json_response(error_body(err), status=err.status, headers=err.headers())


def gemini_error_event(err: GatewayError) -> bytes:
    return sse_data(error_body(err))
