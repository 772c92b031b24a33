"""POST /v1/messages (plain or streamed) and POST /v1/messages/count_tokens, on the call pipeline.

A Claude target gets the body as sent (routing drops `model`, sets Vertex's `anthropic_version` and
filters the `anthropic-beta` values through its compatibility table); a stream is relayed event by
event exactly as Vertex sent it. Another family (a Gemini alias) is translated by routing both
ways. Claude Code adds `?beta=true` to both paths; it changes nothing here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from django.http import HttpRequest, HttpResponseBase

from gateway_admin.pipeline import GatewayCall
from gateway_admin.pipeline.errors import invalid_request
from gateway_admin.surfaces.errors import anthropic_error_event, anthropic_error_response
from gateway_admin.surfaces.frame import View, answer, endpoint
from gateway_admin.surfaces.http import model_of, read_json_object
from gateway_admin.surfaces.models import resolve_native_model
from gateway_admin.surfaces.sse import as_is, sse_body, sse_response

from .auth import anthropic_credential


def anthropic_endpoint(operation: str) -> Callable[[View], View]:
    return endpoint(surface="anthropic", operation=operation, credential=anthropic_credential,
                    error_response=anthropic_error_response)


def _validated(request: HttpRequest, call: GatewayCall, *, needs_max_tokens: bool) -> dict[str, Any]:
    body = read_json_object(request)
    call.model = model_of(body)
    if not call.model.strip():
        raise invalid_request("model: Field required (a model id or alias of this gateway).", param="model")
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise invalid_request("messages: Field required (a list of {role, content} turns).", param="messages")
    if needs_max_tokens:
        max_tokens = body.get("max_tokens")
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
            raise invalid_request("max_tokens: Field required (a positive integer).", param="max_tokens")
    return body


def _headers(request: HttpRequest) -> dict[str, Any]:
    """The Anthropic headers routing forwards to Claude: the betas (through its table) and the version."""
    return {"betas": request.headers.get("anthropic-beta") or None,
            "anthropic_version": request.headers.get("anthropic-version") or None}


class MessageCollector:
    """Keeps the text, stop reason and usage of a streamed Message (raw SSE events) for body logging."""

    def __init__(self) -> None:
        self.message: dict[str, Any] = {}
        self.text: list[str] = []
        self.stop_reason: str | None = None

    def add(self, raw: bytes) -> None:
        for line in raw.splitlines():
            if not line.startswith(b"data:"):
                continue
            try:
                data = orjson.loads(line[5:])
            except orjson.JSONDecodeError:
                continue
            kind = data.get("type")
            if kind == "message_start":
                self.message = dict(data.get("message") or {})
            elif kind == "content_block_delta":
                delta = data.get("delta") or {}
                if isinstance(delta.get("text"), str):
                    self.text.append(delta["text"])
            elif kind == "message_delta":
                self.stop_reason = (data.get("delta") or {}).get("stop_reason") or self.stop_reason

    def body(self) -> dict[str, Any]:
        return {**self.message, "content": [{"type": "text", "text": "".join(self.text)}],
                "stop_reason": self.stop_reason}


@anthropic_endpoint("messages")
async def messages(request: HttpRequest, call: GatewayCall) -> HttpResponseBase:
    body = _validated(request, call, needs_max_tokens=True)
    call.stream = body.get("stream") is True
    call.keep_request_body(body)
    await resolve_native_model(call, body["model"])
    router = call.router
    assert router is not None
    if call.stream:
        stream = await router.messages_stream(body, **_headers(request))
        events = call.events(stream, collector=MessageCollector())
        return sse_response(sse_body(events, frame=as_is, error_frame=anthropic_error_event, done=None))
    result = await router.messages(body, **_headers(request))
    return await answer(call, result.response, result=result, logged_body=result.response)


@anthropic_endpoint("count_tokens")
async def count_tokens(request: HttpRequest, call: GatewayCall) -> HttpResponseBase:
    body = _validated(request, call, needs_max_tokens=False)
    call.keep_request_body(body)
    await resolve_native_model(call, body["model"])
    router = call.router
    assert router is not None
    result = await router.messages_count_tokens(body, **_headers(request))
    return await answer(call, result.response, result=result, logged_body=result.response)
