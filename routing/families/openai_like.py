"""Shared translation for families whose Vertex wire format is already OpenAI Chat Completions
(Mistral's rawPredict, partner MaaS `endpoints/openapi/chat/completions`).

Answers are relabelled with the caller's alias and normalised (finish reasons, usage); stream
chunks are forwarded one by one, with upstream usage held back for the closing usage chunk, so
`stream_options.include_usage` behaves as OpenAI documents whatever the upstream does.
"""

from __future__ import annotations

import copy
from typing import Any

from routing.families.base import Json
from routing.families.common import ChunkWriter, completion, stream_error, usage

FINISH_REASONS = {
    "stop": "stop",
    "length": "length",
    "model_length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "error": "stop",
}


def finish_reason(reason: Any) -> str | None:
    if reason is None:
        return None
    return FINISH_REASONS.get(str(reason), "stop")


def normal_usage(raw: Any) -> Json | None:
    """Upstream OpenAI-style usage, keeping cached/reasoning details only when reported."""
    if not isinstance(raw, dict):
        return None
    prompt = int(raw.get("prompt_tokens") or 0)
    completion_tokens = int(raw.get("completion_tokens") or 0)
    cached = (raw.get("prompt_tokens_details") or {}).get("cached_tokens")
    reasoning = (raw.get("completion_tokens_details") or {}).get("reasoning_tokens")
    return usage(prompt=prompt, completion_tokens=completion_tokens,
                 total=int(raw.get("total_tokens") or prompt + completion_tokens),
                 cached=None if cached is None else int(cached),
                 reasoning=None if reasoning is None else int(reasoning))


def parse_completion(body: Json, *, model: str) -> Json:
    choices = []
    for i, choice in enumerate(body.get("choices") or []):
        message = copy.deepcopy(choice.get("message") or {})
        message.setdefault("role", "assistant")
        message.setdefault("content", None)
        if message.get("tool_calls") == []:
            del message["tool_calls"]
        choices.append({"index": choice.get("index", i), "message": message,
                        "finish_reason": finish_reason(choice.get("finish_reason")) or "stop",
                        "logprobs": choice.get("logprobs")})
    return completion(model=model, choices=choices, usage=normal_usage(body.get("usage")),
                      created=body.get("created"))


class OpenAIStreamTranslator:
    """Forwards OpenAI-shaped upstream chunks under the caller's alias; `[DONE]` is ignored."""

    def __init__(self, *, model: str, include_usage: bool, family: str) -> None:
        self.writer = ChunkWriter(model=model, include_usage=include_usage)
        self.usage: Json | None = None
        self.family = family
        self._finished: set[int] = set()

    def feed(self, event: str | None, data: Json | str) -> list[Json]:
        if not isinstance(data, dict):
            return []  # "[DONE]"
        if "error" in data and not data.get("choices"):
            raise stream_error(self.family, data["error"])
        if data.get("usage"):
            self.usage = normal_usage(data["usage"])
        out = []
        for choice in data.get("choices") or []:
            index = choice.get("index", 0)
            delta = dict(choice.get("delta") or {})
            delta.pop("role", None)  # the writer adds it on each choice's first chunk
            if delta.get("content") is None:
                delta.pop("content", None)
            if delta.get("tool_calls") == []:
                delta.pop("tool_calls")
            reason = finish_reason(choice.get("finish_reason"))
            if reason:
                self._finished.add(index)
            if delta or reason or index not in self.writer.started:
                out.append(self.writer.chunk(index, delta, reason))
        return out

    def finish(self) -> list[Json]:
        out = [self.writer.chunk(index, {}, "stop") for index in sorted(self.writer.started - self._finished)]
        self._finished |= self.writer.started
        if self.writer.include_usage:
            out.append(self.writer.usage_chunk(self.usage))
        return out
