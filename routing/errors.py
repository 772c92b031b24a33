"""One error hierarchy for routing. Each error knows whether it is retryable and what to tell a user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import orjson

if TYPE_CHECKING:
    from routing.results import Attempt


class RoutingError(Exception):
    """Base of every error routing raises.

    `status` is the HTTP status the gateway should answer with; `user_message` is a sentence a user
    can act on (no secrets, no tokens); `retryable` says whether another attempt may succeed.
    """

    status: int = 500
    retryable: bool = False
    error_type: str = "routing_error"

    def __init__(self, user_message: str, *, status: int | None = None, retry_after: float | None = None,
                 upstream_status: int | None = None, upstream_body: object | None = None,
                 param: str | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        # The request parameter at fault, when there is one (API error bodies name it).
        self.param = param
        if status is not None:
            self.status = status
        self.retry_after = retry_after
        self.upstream_status = upstream_status
        self.upstream_body = upstream_body
        # The router attaches every attempt it made (routing.results.Attempt) before raising.
        self.attempts: list[Attempt] = []

    def info(self) -> ErrorInfo:
        """A serialisable summary (type, message, status) for logs and API bodies."""
        return ErrorInfo(type=self.error_type, message=self.user_message, status=self.status)


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


# --- Mapping Vertex's error answers to errors a user can act on -------------------------------------

# Families whose models are partner models: they must be enabled once per project in Model Garden,
# and an organisation policy can forbid them.
_PARTNER_FAMILIES = frozenset({"anthropic", "mistral", "openai_compat"})
_UPSTREAM_DETAIL_MAX = 300


class _CatalogLike(Protocol):
    def served_regions(self, target: str) -> tuple[str, ...] | None: ...

    def is_served(self, target: str, region: str) -> bool | None: ...


def vertex_error_detail(body: object) -> tuple[str, str]:
    """(status word, message) from Vertex's `{"error": {"code", "message", "status"}}` (or a list of them).

    Bodies that are not JSON (a proxy's HTML page) give ("", a short excerpt).
    """
    if isinstance(body, bytes | bytearray):
        raw = bytes(body)
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            body = raw.decode("utf-8", "replace")
    if isinstance(body, list) and body:
        body = body[0]
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            message = str(err.get("message") or "")
            return str(err.get("status") or err.get("type") or ""), message[:_UPSTREAM_DETAIL_MAX]
        if isinstance(err, str):  # OAuth-style {"error": "invalid_grant", ...}
            return err, str(body.get("error_description") or err)[:_UPSTREAM_DETAIL_MAX]
    if isinstance(body, str):
        return "", " ".join(body.split())[:_UPSTREAM_DETAIL_MAX]
    return "", ""


def _where(region: str) -> str:
    return "on global" if region == "global" else f"in {region}"


def _family(target: str) -> str:
    try:
        from routing.catalog import family_of

        return family_of(target)
    except Exception:  # an unknown target must not hide the upstream error
        return ""


def _said(status_word: str, message: str, code: int) -> str:
    word = f" {status_word}" if status_word else ""
    detail = f": {message}" if message else ""
    return f"(Vertex said {code}{word}{detail})"


def error_from_vertex(status: int, body: object, *, target: str, region: str, project_id: str,
                      catalog: _CatalogLike | None = None, retry_after: float | None = None) -> RoutingError:
    """Turn a Vertex error answer into the RoutingError a user can act on.

    `body` is the parsed JSON (or raw bytes) Vertex sent; `catalog` supplies the regions that serve
    `target` so a 404 can say where the model is served and a 429 can suggest the global endpoint.
    """
    if catalog is None:
        try:
            from routing.catalog import DEFAULT_CATALOG

            catalog = DEFAULT_CATALOG
        except Exception:
            catalog = None
    word, message = vertex_error_detail(body)
    said = _said(word, message, status)
    kw: dict[str, Any] = {"upstream_status": status, "upstream_body": body, "retry_after": retry_after}
    if status == 400:
        return InvalidRequestError(f"Vertex rejected the request for {target} {_where(region)}: "
                                   f"{message or 'invalid argument'}.", **kw)
    if status == 401:
        return AuthenticationError(
            f"Vertex did not accept the access token for project {project_id} {said}. The key's "
            "service-account credential may be revoked, disabled or deleted, or its token expired: "
            "check the key's credentials (or the Application Default Credentials).", status=502, **kw)
    if status == 403:
        return UpstreamPermissionError(_permission_message(target, region, project_id, word, message, said),
                                       **kw)
    if status == 404:
        return UpstreamNotFoundError(_not_found_message(target, region, project_id, catalog, said), **kw)
    if status == 429:
        msg = (f"Quota exceeded for {target} {_where(region)} in project {project_id} {said}. "
               "Retry later or request a higher quota in the Cloud console (IAM & Admin > Quotas)")
        if region != "global" and catalog is not None and catalog.is_served(target, "global"):
            msg += f"; or use the global endpoint, which serves {target} and spreads load across regions"
        return RateLimitError(msg + ".", **kw)
    if status in (408, 504):
        return UpstreamTimeoutError(f"Vertex timed out answering {target} {_where(region)} {said}.", **kw)
    if status >= 500:
        return UpstreamServerError(f"Vertex failed answering {target} {_where(region)} {said}; "
                                   "this is usually temporary.", **kw)
    if 400 <= status < 500:
        return InvalidRequestError(f"Vertex refused the request for {target} {_where(region)} {said}.",
                                   status=400, **kw)
    return UpstreamError(f"Unexpected answer from Vertex for {target} {_where(region)} {said}.", **kw)


def _permission_message(target: str, region: str, project_id: str, word: str, message: str, said: str) -> str:
    if word == "SERVICE_DISABLED" or "has not been used" in message or "is disabled" in message:
        return (f"The Vertex AI API is not enabled for project {project_id} {said}. Enable "
                "aiplatform.googleapis.com in the Cloud console (APIs & Services), then retry.")
    text = (f"Permission denied calling {target} {_where(region)} in project {project_id} {said}. "
            "Check that the key's service account has the aiplatform.endpoints.predict permission "
            f"on {project_id} (the Vertex AI User role, roles/aiplatform.user, includes it)")
    if _family(target) in _PARTNER_FAMILIES:
        text += (f", that {target} is enabled for the project in Model Garden, and that no "
                 "organisation policy restricts partner models")
    return text + "."


def _not_found_message(target: str, region: str, project_id: str, catalog: _CatalogLike | None,
                       said: str) -> str:
    served = catalog.served_regions(target) if catalog is not None else None
    if served:
        others = [r for r in served if r != region]
        if region in served:
            return (f"{target} was not found {_where(region)} although it is normally served there; "
                    f"it is probably not enabled for project {project_id} (enable it in Model Garden) "
                    f"or the model version does not exist {said}.")
        if others:
            return (f"{target} is not served {_where(region)}; it is served in {', '.join(others)}; "
                    f"or it is not enabled for project {project_id} {said}.")
    if target.isdigit():
        return (f"Endpoint {target} was not found {_where(region)} in project {project_id}: check the "
                f"endpoint id, its region and the key's project number {said}.")
    return (f"{target} is not served {_where(region)}, or it is not enabled for project {project_id} "
            f"(enable it in Model Garden, or set a region that serves it for this deployment) {said}.")
