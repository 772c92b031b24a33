"""Mistral on Vertex: `publishers/mistralai/models/{m}:rawPredict` / `:streamRawPredict`.

The body is Mistral's chat body (OpenAI-like, with `model`); answers and streams are OpenAI-shaped
(finish reason `model_length` -> `length`; usage arrives on the last chunk).
"""

from __future__ import annotations

from routing import openai_types as ot
from routing.families.base import BaseAdapter, Json, WireRequest
from routing.families.openai_like import OpenAIStreamTranslator, parse_completion

PASSED = ("temperature", "top_p", "n", "presence_penalty", "frequency_penalty", "tools", "tool_choice",
          "parallel_tool_calls", "response_format", "safe_prompt", "prediction")


MESSAGE_FIELDS = ("role", "content", "tool_calls", "tool_call_id", "name", "prefix")


def _messages(messages: list[Json]) -> list[Json]:
    """Only the fields Mistral knows: replayed OpenAI history carries extras (refusal, annotations...)
    that Mistral's strict validation would refuse."""
    out = []
    for message in messages:
        clean = {k: message[k] for k in MESSAGE_FIELDS if message.get(k) is not None}
        if clean["role"] == "developer":
            clean["role"] = "system"
        if clean["role"] == "assistant":
            clean.setdefault("content", "")
        out.append(clean)
    return out


class MistralAdapter(BaseAdapter):
    """Mistral models (`mistral-*`, `codestral-*`) through Vertex's rawPredict."""

    family = "mistral"
    capabilities = frozenset({"chat"})

    def build_chat(self, request: Json, *, target: str, model: str) -> WireRequest:
        ot.validate_chat(request)
        ot.reject_unsupported(request, family="Mistral", names=("logprobs", "top_logprobs", "logit_bias", "audio"))
        if ot.thinking_budget(request):
            raise ot.invalid(ot.thinking_param(request), "Mistral models on Vertex have no thinking budget")
        stream = bool(request.get("stream"))
        # Vertex ids may carry a version ("mistral-large@2407"); the body names the bare model.
        body: Json = {"model": target.split("@", 1)[0], "messages": _messages(request["messages"])}
        body.update({k: request[k] for k in PASSED if request.get(k) is not None})
        if (limit := ot.max_output_tokens(request)) is not None:
            body["max_tokens"] = limit
        if (stop := ot.stop_sequences(request)) is not None:
            body["stop"] = stop
        if request.get("seed") is not None:
            body["random_seed"] = request["seed"]
        if stream:
            body["stream"] = True
        method = "streamRawPredict" if stream else "rawPredict"
        return WireRequest(f"publishers/mistralai/models/{target}:{method}", body, stream=stream)

    def parse_chat(self, body: Json, *, model: str) -> Json:
        return parse_completion(body, model=model)

    def stream_translator(self, *, model: str, include_usage: bool, request: Json | None = None) -> OpenAIStreamTranslator:
        return OpenAIStreamTranslator(model=model, include_usage=include_usage, family="Mistral")

    def build_count_tokens(self, request: Json, *, target: str) -> WireRequest:
        raise ot.invalid("model", "Mistral models on Vertex offer no token counting")

    def parse_count_tokens(self, body: Json, *, model: str) -> Json:
        raise ot.invalid("model", "Mistral models on Vertex offer no token counting")
