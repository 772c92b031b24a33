"""Anthropic-style errors: `{"type": "error", "error": {"type", "message"}}` with Anthropic's statuses.

Every failure is a `GatewayError` (gateway_admin/pipeline/errors.py), whose `type` speaks OpenAI's
vocabulary; here its status (and kind) becomes Anthropic's `error.type`, which the anthropic SDK
maps to its exception classes (BadRequestError, AuthenticationError, PermissionDeniedError,
NotFoundError, RateLimitError, InternalServerError, OverloadedError) and Claude Code to its retry
and message logic. In a stream that already started, the same body is sent as `event: error`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from gateway_admin.openai_api.http import json_response, sse_event
from gateway_admin.pipeline.errors import GatewayError

_TYPE_BY_STATUS = {
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


def error_type(err: GatewayError) -> str:
    if err.type == "rate_limit_error":
        return "rate_limit_error"
    found = _TYPE_BY_STATUS.get(err.status)
    if found is not None:
        return found
    return "api_error" if err.status >= 500 else "invalid_request_error"


def error_body(err: GatewayError) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type(err), "message": err.message}}


def error_response(err: GatewayError) -> HttpResponse:
    return json_response(error_body(err), status=err.status, headers=err.headers())


def error_event(err: GatewayError) -> bytes:
    """The last event of a stream that broke after its first byte."""
    return sse_event("error", error_body(err))
