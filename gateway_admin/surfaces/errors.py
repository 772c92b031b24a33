"""How a GatewayError looks in the native dialects: Anthropic's and Google's (Vertex's).

Every failure is a `GatewayError` (gateway_admin/pipeline/errors.py), whose `type` speaks OpenAI's
vocabulary (OpenAI's own framing is openai_api/errors.py). Both native surfaces need both shapes:
/v1/messages answers Anthropic's, and the Vertex pass-through answers Google's, except inside a
Claude stream (`:streamRawPredict`), whose clients read Anthropic's `event: error`.

Anthropic: `{"type": "error", "error": {"type", "message"}}`; its status becomes Anthropic's
`error.type`, which the anthropic SDK maps to its exception classes (BadRequestError,
AuthenticationError, PermissionDeniedError, NotFoundError, RateLimitError, InternalServerError,
OverloadedError) and Claude Code to its retry and message logic. In a stream that already started,
the same body is sent as `event: error`.

Google: `{"error": {"code", "message", "status"}}`; google-genai and the Vertex client libraries
read `error.status` (the canonical status name) and `error.message`; AnthropicVertex and Claude Code
map the HTTP status. A Gemini SSE stream that broke ends with `data: {"error": ...}`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from gateway_admin.pipeline.errors import GatewayError

from .http import json_response, sse_data, sse_event

# -- Anthropic -------------------------------------------------------------------------------------

_ANTHROPIC_TYPE = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "overloaded_error",
    529: "overloaded_error",
}


def anthropic_error_type(err: GatewayError) -> str:
    if err.type == "rate_limit_error":
        return "rate_limit_error"
    found = _ANTHROPIC_TYPE.get(err.status)
    if found is not None:
        return found
    return "api_error" if err.status >= 500 else "invalid_request_error"


def anthropic_error_body(err: GatewayError) -> dict[str, Any]:
    return {"type": "error", "error": {"type": anthropic_error_type(err), "message": err.message}}


def anthropic_error_response(err: GatewayError) -> HttpResponse:
    return json_response(anthropic_error_body(err), status=err.status, headers=err.headers())


def anthropic_error_event(err: GatewayError) -> bytes:
    """The last event of a stream that broke after its first byte."""
    return sse_event("error", anthropic_error_body(err))


# -- Google ----------------------------------------------------------------------------------------

_GOOGLE_STATUS = {
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
    found = _GOOGLE_STATUS.get(code)
    if found is not None:
        return found
    return "INTERNAL" if code >= 500 else "FAILED_PRECONDITION" if code >= 400 else "UNKNOWN"


def google_error_body(err: GatewayError) -> dict[str, Any]:
    return {"error": {"code": err.status, "message": err.message, "status": google_status(err.status)}}


def google_error_response(err: GatewayError) -> HttpResponse:
    return json_response(google_error_body(err), status=err.status, headers=err.headers())


def gemini_error_event(err: GatewayError) -> bytes:
    return sse_data(google_error_body(err))
