"""OpenAI-style errors for /v1: `{"error": {"message", "type", "param", "code"}}` with the right status.

Every failure a /v1 caller can see goes through `ApiError`, so the official SDKs map it to their own
exception classes (401 AuthenticationError, 403 PermissionDeniedError, 404 NotFoundError,
429 RateLimitError, ...) and read the message.
"""

from __future__ import annotations

import math
from typing import Any

from routing.errors import RoutingError

from .http import json_response


class ApiError(Exception):
    """An error answer. `headers` carries e.g. Retry-After for 429."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}

    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        # Retry-After is whole seconds; never advertise 0, clients would hammer straight back.
        return {"Retry-After": str(max(1, math.ceil(self.retry_after)))}

    def response(self):  # type: ignore[no-untyped-def]
        return json_response(self.body(), status=self.status, headers=self.headers())


def invalid_request(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


def unauthorized(message: str) -> ApiError:
    return ApiError(401, message, type="invalid_request_error", code="invalid_api_key")


def model_not_found(model: str) -> ApiError:
    return ApiError(
        404,
        f"The model `{model}` does not exist or is not configured on this gateway.",
        param="model",
        code="model_not_found",
    )


def model_not_allowed(model: str) -> ApiError:
    return ApiError(
        403,
        f"This API token is not allowed to use the model `{model}`.",
        type="permission_error",
        param="model",
        code="model_not_allowed",
    )


def rate_limited(limit: int, retry_after: float) -> ApiError:
    return ApiError(
        429,
        f"Rate limit reached for this API token: {limit} requests per minute. "
        f"Try again in {max(1, math.ceil(retry_after))} s.",
        type="rate_limit_error",
        code="rate_limit_exceeded",
        retry_after=retry_after,
    )


def not_found(message: str, *, param: str | None = None) -> ApiError:
    return ApiError(404, message, param=param, code="not_found")


def server_error() -> ApiError:
    return ApiError(
        500,
        "The gateway failed while handling this request. The error was logged.",
        type="server_error",
        code="internal_error",
    )


# OpenAI's own `type` values for the statuses an upstream can produce; the routing error's
# precise kind goes into `code` so nothing is lost.
_TYPE_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    429: "rate_limit_error",
}


def from_routing_error(exc: RoutingError) -> ApiError:
    """Map a routing error to the answer a caller sees; a 429 keeps Retry-After."""
    status = int(getattr(exc, "status", 500) or 500)
    kind = _TYPE_BY_STATUS.get(status, "server_error" if status >= 500 else "invalid_request_error")
    param = getattr(exc, "param", None)
    if status == 404 and param is None:
        param = "model"
    return ApiError(
        status,
        exc.user_message,
        type=kind,
        param=param if isinstance(param, str) else None,
        code=exc.error_type,
        retry_after=exc.retry_after if status == 429 or status == 503 else None,
    )


def stream_error_event(err: ApiError) -> dict[str, Any]:
    """The error object sent inside a stream when it breaks after the first byte."""
    return err.body()
