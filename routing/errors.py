"""One error hierarchy for routing. Each error knows whether it is retryable and what to tell a user."""

from __future__ import annotations

from dataclasses import dataclass


class RoutingError(Exception):
    """Base of every error routing raises.

    `status` is the HTTP status the gateway should answer with; `user_message` is a sentence a user
    can act on (no secrets, no tokens); `retryable` says whether another attempt may succeed.
    """

    status: int = 500
    retryable: bool = False
    error_type: str = "routing_error"

    def __init__(self, user_message: str, *, status: int | None = None, retry_after: float | None = None,
                 upstream_status: int | None = None, upstream_body: object | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        if status is not None:
            self.status = status
        self.retry_after = retry_after
        self.upstream_status = upstream_status
        self.upstream_body = upstream_body


class InvalidRequestError(RoutingError):
    """The caller's request cannot be sent (bad parameter, unsupported feature for the family)."""

    status = 400
    error_type = "invalid_request_error"


class ModelNotFoundError(RoutingError):
    """No enabled key carries the requested model alias."""

    status = 404
    error_type = "model_not_found"


class ConfigurationError(RoutingError):
    """A key's configuration cannot be used (bad credential, region, URL check failed)."""

    status = 500
    error_type = "configuration_error"


class AuthenticationError(RoutingError):
    """A token could not be minted, or Vertex refused it (401/403)."""

    status = 502
    error_type = "upstream_authentication_error"


class UpstreamError(RoutingError):
    """Vertex answered with an error status (mapped from `{"error": {code, message, status}}`)."""

    status = 502
    error_type = "upstream_error"


class UpstreamNotFoundError(UpstreamError):
    status = 404
    error_type = "model_not_found"


class UpstreamPermissionError(UpstreamError):
    status = 403
    error_type = "permission_denied"


class RateLimitError(UpstreamError):
    status = 429
    retryable = True
    error_type = "rate_limit_exceeded"


class UpstreamServerError(UpstreamError):
    status = 502
    retryable = True
    error_type = "upstream_server_error"


class UpstreamTimeoutError(UpstreamError):
    status = 504
    retryable = True
    error_type = "upstream_timeout"


class TransportError(UpstreamError):
    """Connection refused/reset, DNS, TLS: nothing usable came back."""

    status = 502
    retryable = True
    error_type = "upstream_connection_error"


class StreamInterruptedError(UpstreamError):
    """The upstream stream broke after the first byte; never retried."""

    status = 502
    retryable = False
    error_type = "stream_interrupted"


@dataclass(frozen=True)
class ErrorInfo:
    """A serialisable summary of an error for logs and API bodies."""

    type: str
    message: str
    status: int
