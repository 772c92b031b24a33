"""Small HTTP helpers for every API surface: orjson bodies, request-body parsing, Server-Sent Events framing."""

from __future__ import annotations

from typing import Any

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from gateway_admin.json_limits import DEPTH_MESSAGE, MAX_JSON_DEPTH, exceeds_depth

JSON = "application/json"
SSE = "text/event-stream"


def json_response(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(orjson.dumps(data), content_type=JSON, status=status)
    if headers:
        for name, value in headers.items():
            response[name] = value
    return response


def sse_data(data: Any) -> bytes:
    """One Chat Completions stream frame: `data: {...}\\n\\n`."""
    return b"data: " + orjson.dumps(data) + b"\n\n"


def sse_event(event: str, data: Any) -> bytes:
    """One Responses API stream frame: `event: <type>\\ndata: {...}\\n\\n`."""
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


SSE_DONE = b"data: [DONE]\n\n"


def model_of(body: dict[str, Any]) -> str:
    """The `model` the caller named, or "" when it is missing or not a string (validation says why)."""
    model = body.get("model")
    return model if isinstance(model, str) else ""


def request_bytes(request: HttpRequest) -> bytes:
    """The request body, at most GATEWAY_MAX_BODY_BYTES (else GatewayError 413).

    Read from the stream instead of `request.body`, whose limit (DATA_UPLOAD_MAX_MEMORY_SIZE) is the
    dashboard's and the config API's; the gateway's bodies are larger (a long Claude Code session)."""
    from gateway_admin.pipeline.errors import GatewayError

    limit = int(settings.GATEWAY_MAX_BODY_BYTES)
    too_large = GatewayError(413, f"The request body is larger than this gateway takes ({limit} bytes).",
                             code="request_too_large")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise too_large
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise too_large
    return raw


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """`raw` as a JSON object, or a GatewayError naming what is wrong."""
    from gateway_admin.pipeline.errors import invalid_request

    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if "depth" in exc.msg:  # orjson stops at 1024 levels ("depth limit exceeded")
            raise invalid_request(DEPTH_MESSAGE, code="too_deep") from None
        raise invalid_request(f"The request body is not valid JSON: {exc.msg} at position {exc.pos}.") from None
    if not isinstance(data, dict):
        raise invalid_request("The request body must be a JSON object.")
    # Each level of nesting is a literal "{" or "[" in the text, so a body with at most
    # MAX_JSON_DEPTH of them cannot be too deep: two C-speed counts instead of a walk of every value.
    if raw.count(b"{") + raw.count(b"[") > MAX_JSON_DEPTH and exceeds_depth(data):
        raise invalid_request(DEPTH_MESSAGE, code="too_deep")
    return data


def read_json_object(request: HttpRequest) -> dict[str, Any]:
    """The request body as a JSON object, or a GatewayError naming what is wrong."""
    from gateway_admin.pipeline.errors import invalid_request

    content_type = request.content_type or ""
    if content_type and content_type != JSON and not content_type.endswith("+json"):
        raise invalid_request(
            f"Send the request body as JSON (Content-Type: application/json), not {content_type}."
        )
    return parse_json_object(request_bytes(request))
