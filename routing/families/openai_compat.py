"""Partner models as a service (Llama, DeepSeek, Qwen, gpt-oss...): Vertex's OpenAI-compatible
`endpoints/openapi/chat/completions`, OpenAI body with `model` = the target ("meta/llama-3.3-70b-instruct-maas").
Streams are OpenAI SSE chunks ending with `data: [DONE]`."""

from __future__ import annotations

from routing import openai_types as ot
from routing.families.base import BaseAdapter, Json, WireRequest
from routing.families.openai_like import OpenAIStreamTranslator, parse_completion

RESOURCE = "endpoints/openapi/chat/completions"
PASSED = ("messages", "temperature", "top_p", "n", "presence_penalty", "frequency_penalty", "seed", "tools",
          "tool_choice", "parallel_tool_calls", "response_format", "logprobs", "top_logprobs", "user",
          "reasoning_effort", "logit_bias")


class OpenAICompatAdapter(BaseAdapter):
    family = "openai_compat"
    capabilities = frozenset({"chat"})

    def build_chat(self, request: Json, *, target: str, model: str) -> WireRequest:
        ot.validate_chat(request)
        for name in ("thinking", "thinking_budget"):
            if request.get(name) is not None:
                raise ot.invalid(name, "partner models take reasoning_effort, not a thinking budget")
        stream = bool(request.get("stream"))
        body: Json = {"model": target}
        body.update({k: request[k] for k in PASSED if request.get(k) is not None})
        if (limit := ot.max_output_tokens(request)) is not None:
            body["max_tokens"] = limit
        if (stop := ot.stop_sequences(request)) is not None:
            body["stop"] = stop
        if stream:
            body["stream"] = True
            if isinstance(request.get("stream_options"), dict):
                body["stream_options"] = request["stream_options"]
        return WireRequest(RESOURCE, body, stream=stream)

    def parse_chat(self, body: Json, *, model: str) -> Json:
        return parse_completion(body, model=model)

    def stream_translator(self, *, model: str, include_usage: bool, request: Json | None = None) -> OpenAIStreamTranslator:
        return OpenAIStreamTranslator(model=model, include_usage=include_usage, family="The partner model")

    def build_count_tokens(self, request: Json, *, target: str) -> WireRequest:
        raise ot.invalid("model", "partner models on Vertex offer no token counting")

    def parse_count_tokens(self, body: Json, *, model: str) -> Json:
        raise ot.invalid("model", "partner models on Vertex offer no token counting")
