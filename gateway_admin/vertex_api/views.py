"""The Vertex AI pass-through: a Vertex client's call, on the gateway's own key, project and region.

AnthropicVertex, google-genai (vertexai=True) and Claude Code in Vertex mode point their base URL at
`/vertex/v1` (google-genai: `/vertex`, it adds `/v1beta1` itself). The model in the path (an alias,
a Vertex id, an Anthropic id) resolves to the gateway's deployments exactly as on /v1/messages; the
client's project and location never choose the key or credential, and the location is tried
first only where the key's region failover allows it (routing/native.py). Bodies go to Vertex as
sent and answers (streams too) come back as Vertex sent them; errors are Google-shaped.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from gateway_admin.pipeline import GatewayCall
from gateway_admin.pipeline.errors import GatewayError, invalid_request, not_found
from gateway_admin.surfaces.errors import (
    anthropic_error_event,
    gemini_error_event,
    google_error_body,
    google_error_response,
)
from gateway_admin.surfaces.frame import endpoint
from gateway_admin.surfaces.http import JSON, SSE, parse_json_object, request_bytes
from gateway_admin.surfaces.models import resolve_native_model
from gateway_admin.surfaces.sse import as_is, sse_body, sse_response
from routing.catalog import is_known_region
from routing.raw_stream import RawRouteStream

from .auth import vertex_credential
from .paths import COUNT_TOKENS, VertexPath, parse_path

STREAM_ACTIONS = frozenset({"streamRawPredict", "streamGenerateContent"})


@csrf_exempt
async def passthrough(request: HttpRequest, rest: str) -> HttpResponseBase:
    """Every /vertex/ path: one the pass-through knows is called, any other is a 404 (nothing sent)."""
    where = parse_path(rest)
    if where is None:
        return google_error_response(not_found(
            f"Unknown Vertex path {request.method} {request.path}. The gateway passes through "
            "publishers/*/models/*:{rawPredict|streamRawPredict|generateContent|streamGenerateContent|countTokens|"
            "predict}, publishers/anthropic/models/count-tokens:rawPredict and endpoints/*:..."))
    return await _call(request, where=where)


def _body(request: HttpRequest) -> tuple[bytes, dict[str, Any]]:
    """The bytes to forward, checked to be a JSON object (nothing malformed is sent)."""
    raw = request_bytes(request)
    return raw, parse_json_object(raw)


@endpoint(surface="vertex", operation="vertex", credential=vertex_credential, error_response=google_error_response)
async def _call(request: HttpRequest, call: GatewayCall, *, where: VertexPath) -> HttpResponseBase:
    call.operation = where.action
    call.stream = where.action in STREAM_ACTIONS
    raw, parsed = _body(request)
    model: object = where.model or parsed.get("model")  # count-tokens names its model in the body
    if where.action == COUNT_TOKENS and not (isinstance(model, str) and model):
        raise invalid_request("model: required in the body of count-tokens:rawPredict.", param="model")
    name = call.model = model if isinstance(model, str) else ""
    call.keep_request_body(parsed)
    await resolve_native_model(call, model)
    router = call.router
    assert router is not None
    alt = request.GET.get("alt")
    result = await router.vertex(  # the caller's name: routing adds the betas it implies (`[1m]`)
        name, where.action, raw, betas=request.headers.get("anthropic-beta") or None,
        region_preference=where.location if is_known_region(where.location) else None,
        query={"alt": alt} if alt else None, api_version=where.version,
        anthropic_version=request.headers.get("anthropic-version") or None)
    if isinstance(result, RawRouteStream):
        sse = where.action == "streamRawPredict" or alt == "sse"
        events = call.events(result)
        if result.family == "anthropic":
            error_frame = anthropic_error_event
        elif sse:
            error_frame = gemini_error_event
        else:  # a JSON array stream: the error object closes it
            def error_frame(err: GatewayError) -> bytes:
                return b",\n" + orjson.dumps(google_error_body(err)) + b"]"
        return sse_response(sse_body(events, frame=as_is, error_frame=error_frame, done=None),
                            content_type=result.content_type or (SSE if sse else JSON))
    response = HttpResponse(result.raw_body or b"", status=result.status or 200, content_type=JSON)
    await call.done(result, response_body=getattr(result, "response", None), status=response.status_code)
    return response
