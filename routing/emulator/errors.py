"""Error bodies as Vertex AI (Google APIs) and Anthropic-on-Vertex write them."""

from __future__ import annotations

from .server import Reply, json_reply

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

_FAULT_MESSAGES = {
    429: "Resource exhausted. Please try again later. Please refer to "
    "https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.",
    500: "Internal error encountered.",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
    504: "The request timed out. Please try again.",
}


def google_error(code: int, message: str, headers: list[tuple[str, str]] | None = None) -> Reply:
    body = {"error": {"code": code, "message": message, "status": _STATUS.get(code, "UNKNOWN")}}
    return json_reply(body, code, headers)


def fault_error(code: int, retry_after: int | None) -> Reply:
    headers = [("Retry-After", str(retry_after))] if retry_after is not None else []
    return google_error(code, _FAULT_MESSAGES.get(code, "Injected fault."), headers)


def anthropic_error(code: int, message: str, kind: str = "invalid_request_error") -> Reply:
    return json_reply({"type": "error", "error": {"type": kind, "message": message}}, code)


def not_found_model(project: str, region: str, publisher: str, model: str) -> Reply:
    return google_error(
        404,
        f"Publisher Model `projects/{project}/locations/{region}/publishers/{publisher}/models/{model}` not found.",
    )


def permission_denied(resource: str, permission: str = "aiplatform.endpoints.predict") -> Reply:
    return google_error(
        403,
        f"Permission '{permission}' denied on resource '//aiplatform.googleapis.com/{resource}' "
        "(or it may not exist).",
    )


def unexpected_betas(betas: list[str]) -> Reply:
    """Vertex's 400 for `anthropic-beta` values the Claude route does not accept."""
    import hashlib

    names = ", ".join(f"`{b}`" for b in betas)
    body = {"type": "error", "error": {"type": "invalid_request_error", "message":
            f"Unexpected value(s) {names} for the `anthropic-beta` header. Please consult our documentation "
            "at platform.claude.com/docs or try again without the header."},
            "request_id": "req_vrtx_" + hashlib.sha256(names.encode()).hexdigest()[:24]}
    return json_reply(body, 400)
