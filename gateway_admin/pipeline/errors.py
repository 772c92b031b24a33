"""The gateway's one error type: what a caller is told when a call is refused or fails.

`GatewayError` is surface-neutral: a status, a message a person can act on, a kind (OpenAI's
`type` vocabulary, which every surface maps to its own: Anthropic's `error.type`, Google's
`error.status`), the parameter at fault, a machine code, and a Retry-After when waiting helps.
The pipeline raises it for everything it refuses before a call leaves (scope, unknown model,
rate and budget limits) and turns every routing error into one (`from_routing_error`), so a
surface only frames it (OpenAI `{"error": {...}}`, Anthropic `{"type": "error", ...}`, Google
`{"error": {"code", "message", "status"}}`, the playground's error event).
"""

from __future__ import annotations

import logging
import math

from routing.errors import RoutingError

logger = logging.getLogger("gateway_admin.pipeline")

__all__ = [
    "GatewayError", "error_of", "from_routing_error", "invalid_request", "model_not_allowed", "model_not_found",
    "not_found", "rate_limited", "server_error", "unauthorized",
]


class GatewayError(Exception):
    """An error answer; `retry_after` (seconds) becomes a Retry-After header where the surface has one."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 param: str | None = None, code: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        # Retry-After is whole seconds; never advertise 0, clients would hammer straight back.
        return {"Retry-After": str(max(1, math.ceil(self.retry_after)))}


def invalid_request(message: str, *, param: str | None = None, code: str | None = None) -> GatewayError:
    return GatewayError(400, message, param=param, code=code)


def unauthorized(message: str) -> GatewayError:
    return GatewayError(401, message, type="invalid_request_error", code="invalid_api_key")


def model_not_found(model: str) -> GatewayError:
    return GatewayError(404, f"The model `{model}` does not exist or is not configured on this gateway.",
                        param="model", code="model_not_found")


def model_not_allowed(model: str) -> GatewayError:
    return GatewayError(403, f"This API token is not allowed to use the model `{model}`.",
                        type="permission_error", param="model", code="model_not_allowed")


def rate_limited(limit: int, retry_after: float, *, unit: str = "requests") -> GatewayError:
    return GatewayError(
        429, f"Rate limit reached for this API token: {limit} {unit} per minute. "
        f"Try again in {max(1, math.ceil(retry_after))} s.",
        type="rate_limit_error", code="rate_limit_exceeded", retry_after=retry_after)


def not_found(message: str, *, param: str | None = None) -> GatewayError:
    return GatewayError(404, message, param=param, code="not_found")


def server_error() -> GatewayError:
    return GatewayError(500, "The gateway failed while handling this request. The error was logged.",
                        type="server_error", code="internal_error")


# OpenAI's own `type` values for the statuses an upstream can produce; the routing error's
# precise kind goes into `code` so nothing is lost.
_TYPE_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    429: "rate_limit_error",
}


def from_routing_error(exc: RoutingError) -> GatewayError:
    """The answer a caller sees for a routing error; a 429 or 503 keeps Retry-After."""
    status = int(getattr(exc, "status", 500) or 500)
    kind = _TYPE_BY_STATUS.get(status, "server_error" if status >= 500 else "invalid_request_error")
    param = exc.param
    if status == 404 and param is None:
        param = "model"
    return GatewayError(status, exc.user_message, type=kind, param=param,
                        code=exc.error_type, retry_after=exc.retry_after if status in (429, 503) else None)


def error_of(exc: BaseException) -> GatewayError:
    """The GatewayError to answer with for any exception (a bug is logged and answered as a 500)."""
    if isinstance(exc, GatewayError):
        return exc
    if isinstance(exc, RoutingError):
        return from_routing_error(exc)
    logger.error("unexpected error in a gateway call", exc_info=exc)
    return server_error()
