"""Claude stream events -> Chat Completions chunks, one event at a time.

Events: message_start, content_block_start/delta/stop (text_delta, input_json_delta, thinking_delta,
signature_delta), message_delta (stop_reason, cumulative usage), message_stop, ping, error.
"""

from __future__ import annotations

from routing.families.base import Json
from routing.families.common import ChunkWriter, stream_error, usage

STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def finish_reason(reason: str | None, *, json_answer: bool = False) -> str | None:
    """Claude stop_reason -> OpenAI finish_reason. A forced JSON tool answer is a plain stop."""
    if reason is None:
        return None
    mapped = STOP_REASONS.get(reason, "stop")
    return "stop" if json_answer and mapped == "tool_calls" else mapped


def claude_usage(raw: Json) -> Json:
    """Anthropic usage -> OpenAI usage. OpenAI's prompt_tokens include cached ones, so cache reads
    and cache writes are added to input_tokens; cache reads are reported as cached_tokens."""
    cache_read = int(raw.get("cache_read_input_tokens") or 0)
    cache_write = int(raw.get("cache_creation_input_tokens") or 0)
    prompt = int(raw.get("input_tokens") or 0) + cache_read + cache_write
    return usage(prompt=prompt, completion_tokens=int(raw.get("output_tokens") or 0), cached=cache_read,
                 cache_write=cache_write)


class AnthropicStreamTranslator:
    """Translates each Claude SSE event as it arrives; nothing is buffered beyond block bookkeeping."""

    def __init__(self, *, model: str, include_usage: bool, json_tool: str, json_mode: bool = False) -> None:
        self.writer = ChunkWriter(model=model, include_usage=include_usage)
        self.usage: Json | None = None
        self._raw_usage: Json = {}
        self._json_tool = json_tool
        self._blocks: dict[int, tuple[str, int]] = {}  # block index -> (kind, tool-call index)
        self._tool_count = 0
        self._json_answer = False
        self._json_mode = json_mode  # text blocks are not part of a JSON answer
        self._finished = False

    def _update_usage(self, raw: Json | None) -> None:
        if raw:
            self._raw_usage.update({k: v for k, v in raw.items() if v is not None})
            self.usage = claude_usage(self._raw_usage)

    def feed(self, event: str | None, data: Json | str) -> list[Json]:
        if not isinstance(data, dict):
            return []
        kind = data.get("type") or event
        if kind == "error":
            raise stream_error("Claude", data.get("error") or data)
        if kind == "message_start":
            self._update_usage((data.get("message") or {}).get("usage"))
            return [self.writer.chunk(0, {"content": ""})]
        if kind == "content_block_start":
            return self._block_start(data)
        if kind == "content_block_delta":
            return self._block_delta(data)
        if kind == "message_delta":
            self._update_usage(data.get("usage"))
            reason = (data.get("delta") or {}).get("stop_reason")
            if reason and not self._finished:
                self._finished = True
                return [self.writer.chunk(0, {}, finish_reason(reason, json_answer=self._json_answer))]
        # content_block_stop, message_stop, ping and unknown future events carry nothing to forward.
        return []

    def _block_start(self, data: Json) -> list[Json]:
        index = data.get("index", 0)
        block = data.get("content_block") or {}
        kind = block.get("type")
        if kind == "tool_use" and block.get("name") == self._json_tool:
            self._json_answer = True
            self._blocks[index] = ("json", -1)
            return []
        if kind == "tool_use":
            n = self._tool_count
            self._tool_count += 1
            self._blocks[index] = ("tool", n)
            call = {"index": n, "id": block.get("id", ""), "type": "function",
                    "function": {"name": block.get("name", ""), "arguments": ""}}
            return [self.writer.chunk(0, {"tool_calls": [call]})]
        self._blocks[index] = (kind or "text", -1)
        if kind == "text" and block.get("text") and not self._json_mode:
            return [self.writer.chunk(0, {"content": block["text"]})]
        return []

    def _block_delta(self, data: Json) -> list[Json]:
        delta = data.get("delta") or {}
        kind, tool_index = self._blocks.get(data.get("index", 0), ("text", -1))
        dtype = delta.get("type")
        if dtype == "text_delta":
            if self._json_mode:
                return []
            return [self.writer.chunk(0, {"content": delta.get("text", "")})]
        if dtype == "thinking_delta":
            return [self.writer.chunk(0, {"reasoning_content": delta.get("thinking", "")})]
        if dtype == "input_json_delta":
            partial = delta.get("partial_json", "")
            if kind == "json":
                return [self.writer.chunk(0, {"content": partial})] if partial else []
            return [self.writer.chunk(0, {"tool_calls": [{"index": tool_index, "function": {"arguments": partial}}]})]
        return []  # signature_delta and future delta types

    def finish(self) -> list[Json]:
        out = []
        if not self._finished and self.writer.started:
            self._finished = True
            out.append(self.writer.chunk(0, {}, "tool_calls" if self._tool_count else "stop"))
        if self.writer.include_usage:
            out.append(self.writer.usage_chunk(self.usage))
        return out
