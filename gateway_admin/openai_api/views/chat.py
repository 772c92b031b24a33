"""POST /v1/chat/completions and POST /v1/responses (each streaming or not)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase

from gateway_admin.pipeline import GatewayCall
from gateway_admin.surfaces.http import model_of, read_json_object

from ..schemas import validate
from .base import answer, v1_endpoint
from .streaming import chat_stream_response, responses_stream_response


async def _converse(request: HttpRequest, call: GatewayCall, *, schema: str, responses_api: bool) -> HttpResponseBase:
    """Chat Completions and Responses differ only in schema, router call and stream framing."""
    body = read_json_object(request)
    call.model = model_of(body)
    call.stream = body.get("stream") is True
    validate(schema, body)
    call.keep_request_body(body)
    body["model"] = await call.resolve(body["model"])
    router = call.router
    assert router is not None
    if call.stream:
        if responses_api:
            return responses_stream_response(call, await router.responses_stream(body))
        return chat_stream_response(call, await router.chat_stream(body))
    result = await (router.responses(body) if responses_api else router.chat(body))
    return await answer(call, result.response, result=result, logged_body=result.response)


@v1_endpoint("chat")
async def chat_completions(request: HttpRequest, call: GatewayCall) -> HttpResponseBase:
    return await _converse(request, call, schema="ChatCompletionRequest", responses_api=False)


@v1_endpoint("responses")
async def responses(request: HttpRequest, call: GatewayCall) -> HttpResponseBase:
    return await _converse(request, call, schema="ResponsesRequest", responses_api=True)
