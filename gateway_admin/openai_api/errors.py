"""OpenAI-style error answers for /v1: `{"error": {"message", "type", "param", "code"}}`.

Every failure a /v1 caller can see is a `GatewayError` (gateway_admin/pipeline/errors.py) framed
here, so the official SDKs map it to their own exception classes (401 AuthenticationError,
403 PermissionDeniedError, 404 NotFoundError, 429 RateLimitError, ...) and read the message.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from gateway_admin.pipeline.errors import GatewayError
from gateway_admin.surfaces.http import json_response


def error_body(err: GatewayError) -> dict[str, Any]:
    return {"error": {"message": err.message, "type": err.type, "param": err.param, "code": err.code}}


def error_response(err: GatewayError) -> HttpResponse:
    return json_response(error_body(err), status=err.status, headers=err.headers())
