"""The Anthropic Messages API on models that are not Claude (Gemini, Mistral, partner chat models).

Claude targets take the Messages body as it is (routing.native). For every other chat family the
body is converted to Chat Completions, sent through that family's own adapter (so Gemini's thought
signatures, JSON mode and thinking budgets work as they do for /v1/chat/completions), and the answer
converted back: a Message, or Anthropic SSE events (message_start, content_block_start/delta/stop,
message_delta, message_stop) event by event as the upstream chunks arrive.

What maps (Anthropic -> chat): system (string or text blocks), user/assistant turns, text, images
(base64 or URL), PDF documents (base64 or URL) and plain-text documents, tools (custom tools:
name, description, input_schema), tool_use / tool_result (text content), tool_choice (auto, any,
tool, none, disable_parallel_tool_use), max_tokens, stop_sequences, temperature, top_p, top_k,
metadata.user_id, thinking (enabled + budget_tokens; visible thoughts come back as thinking
blocks with an empty signature), output_config.effort (as a thinking budget when thinking is not
set) and output_config.format (JSON schema answers). Stop reasons: stop -> end_turn,
length -> max_tokens, tool_calls -> tool_use, content_filter -> refusal.

Dropped silently, documented: `cache_control` on any block (Gemini caches prompts implicitly; cache
reads still show in usage), `context_management` (nothing is cleared server-side; the whole history
is sent), assistant thinking blocks sent back in the history (Gemini's own thought signatures ride on
the tool_use ids), `service_tier`.

Refused with InvalidRequestError naming the field: server tools (`tools[i].type` other than custom:
web search, bash, text editor, computer use...), `mcp_servers`, `container`, images or documents
inside tool_result content, documents of other source types, unknown block types.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from routing import openai_types as ot
from routing.families.common import new_id
from routing.usage import usage_dict

Json = dict[str, Any]

STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "content_filter": "refusal"}
REFUSED_FIELDS = ("mcp_servers", "container")
EFFORTS = {"low": "low", "medium": "medium", "high": "high"}


def _fail(param: str, message: str) -> Exception:
    return ot.invalid(param, message)


def _text_blocks(content: Any, *, param: str) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise _fail(param, "must be a string or a list of text blocks")
    texts = []
    for k, block in enumerate(content):
        if not isinstance(block, dict) or block.get("type") != "text":
            raise _fail(f"{param}[{k}].type", "only text blocks can be sent to this model here")
        texts.append(str(block.get("text") or ""))
    return "\n\n".join(texts)


def _image_part(block: Json, *, param: str) -> Json:
    source = block.get("source") or {}
    kind = source.get("type")
    if kind == "base64":
        url = f"data:{source.get('media_type') or 'image/png'};base64,{source.get('data') or ''}"
    elif kind == "url":
        url = str(source.get("url") or "")
    else:
        raise _fail(f"{param}.source.type", f"{kind!r} image sources cannot be sent to this model; use base64 or url")
    return {"type": "image_url", "image_url": {"url": url}}


def _document_part(block: Json, *, param: str) -> Json:
    source = block.get("source") or {}
    kind = source.get("type")
    if kind == "base64" and source.get("media_type") == "application/pdf":
        return {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{source.get('data') or ''}"}}
    if kind == "url":
        return {"type": "file", "file": {"file_data": str(source.get("url") or "")}}
    if kind == "text":
        return {"type": "text", "text": str(source.get("data") or "")}
    raise _fail(f"{param}.source", "only base64 PDF, URL and plain-text documents can be sent to this model")


def _user_turn(content: Any, *, param: str) -> tuple[list[Json], list[Json]]:
    """(tool messages, user parts) of one Anthropic user turn."""
    if isinstance(content, str):
        return [], [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise _fail(param, "must be a string or a list of content blocks")
    tools: list[Json] = []
    parts: list[Json] = []
    for j, block in enumerate(content):
        where = f"{param}[{j}]"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            parts.append({"type": "text", "text": str(block.get("text") or "")})
        elif kind == "image":
            parts.append(_image_part(block, param=where))
        elif kind == "document":
            parts.append(_document_part(block, param=where))
        elif kind == "tool_result":
            text = _text_blocks(block.get("content") if block.get("content") is not None else "",
                                param=f"{where}.content")
            if block.get("is_error"):
                text = json.dumps({"error": text})
            tools.append({"role": "tool", "tool_call_id": str(block.get("tool_use_id") or ""), "content": text})
        elif kind in ("thinking", "redacted_thinking"):
            continue
        else:
            raise _fail(f"{where}.type", f"{kind!r} blocks cannot be sent to this model")
    return tools, parts


def _assistant_turn(content: Any, *, param: str) -> Json:
    if isinstance(content, str):
        return {"role": "assistant", "content": content}
    if not isinstance(content, list):
        raise _fail(param, "must be a string or a list of content blocks")
    texts: list[str] = []
    calls: list[Json] = []
    for j, block in enumerate(content):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            texts.append(str(block.get("text") or ""))
        elif kind == "tool_use":
            calls.append({"id": str(block.get("id") or ""), "type": "function",
                          "function": {"name": str(block.get("name") or ""),
                                       "arguments": json.dumps(block.get("input") or {}, separators=(",", ":"))}})
        elif kind in ("thinking", "redacted_thinking"):
            continue  # Gemini's thought signatures travel on the tool_use ids instead
        else:
            raise _fail(f"{param}[{j}].type", f"{kind!r} blocks cannot be sent to this model")
    message: Json = {"role": "assistant", "content": "".join(texts) or None}
    if calls:
        message["tool_calls"] = calls
    return message


def _tools(tools: Any) -> list[Json]:
    if not isinstance(tools, list):
        raise _fail("tools", "must be a list of tools")
    out = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise _fail(f"tools[{i}]", "must be an object")
        if tool.get("type") not in (None, "custom"):
            raise _fail(f"tools[{i}].type", f"the server tool {tool.get('type')!r} is only available on Claude models")
        fn: Json = {"name": tool.get("name") or "", "parameters": tool.get("input_schema") or {"type": "object"}}
        if tool.get("description"):
            fn["description"] = tool["description"]
        out.append({"type": "function", "function": fn})
    return out


def _tool_choice(choice: Any, chat: Json) -> None:
    if not isinstance(choice, dict):
        raise _fail("tool_choice", 'must be an object like {"type": "auto"}')
    kind = choice.get("type")
    if kind == "auto":
        chat["tool_choice"] = "auto"
    elif kind == "any":
        chat["tool_choice"] = "required"
    elif kind == "none":
        chat["tool_choice"] = "none"
    elif kind == "tool":
        chat["tool_choice"] = {"type": "function", "function": {"name": str(choice.get("name") or "")}}
    else:
        raise _fail("tool_choice.type", "must be auto, any, tool or none")
    if choice.get("disable_parallel_tool_use"):
        chat["parallel_tool_calls"] = False


def messages_to_chat(body: Json) -> Json:
    """An Anthropic Messages body -> a Chat Completions body (model = the caller's alias)."""
    for name in REFUSED_FIELDS:
        if body.get(name) is not None:
            raise _fail(name, "is only available on Claude models")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _fail("messages", "must be a non-empty list of messages")
    chat_messages: list[Json] = []
    if body.get("system") not in (None, "", []):
        chat_messages.append({"role": "system", "content": _text_blocks(body["system"], param="system")})
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise _fail(f"messages[{i}]", "must be an object with role and content")
        role, param = message.get("role"), f"messages[{i}].content"
        if role == "user":
            tools, parts = _user_turn(message.get("content"), param=param)
            chat_messages.extend(tools)
            if parts:
                chat_messages.append({"role": "user", "content": parts})
        elif role == "assistant":
            chat_messages.append(_assistant_turn(message.get("content"), param=param))
        else:
            raise _fail(f"messages[{i}].role", "must be user or assistant")
    chat: Json = {"model": body.get("model"), "messages": chat_messages}
    if body.get("max_tokens") is not None:
        chat["max_tokens"] = body["max_tokens"]
    for name in ("temperature", "top_p", "top_k"):
        if body.get(name) is not None:
            chat[name] = body[name]
    if body.get("stop_sequences"):
        chat["stop"] = body["stop_sequences"]
    if body.get("tools"):
        chat["tools"] = _tools(body["tools"])
    if body.get("tool_choice") is not None:
        _tool_choice(body["tool_choice"], chat)
    user = (body.get("metadata") or {}).get("user_id") if isinstance(body.get("metadata"), dict) else None
    if isinstance(user, str):
        chat["user"] = user
    _thinking(body, chat)
    return chat


def _thinking(body: Json, chat: Json) -> None:
    thinking = body.get("thinking")
    config: Json = body["output_config"] if isinstance(body.get("output_config"), dict) else {}
    if isinstance(thinking, dict) and thinking.get("type") == "enabled":
        chat["thinking"] = {"type": "enabled", "budget_tokens": thinking.get("budget_tokens")}
        chat["include_thoughts"] = True
    elif isinstance(thinking, dict) and thinking.get("type") == "adaptive":
        chat["include_thoughts"] = True
    elif thinking is not None and not (isinstance(thinking, dict) and thinking.get("type") == "disabled"):
        raise _fail("thinking.type", "must be enabled, adaptive or disabled")
    effort = config.get("effort")
    if effort is not None and "thinking" not in chat:
        if effort not in EFFORTS:
            raise _fail("output_config.effort", "must be low, medium or high")
        chat["reasoning_effort"] = EFFORTS[effort]
    fmt = config.get("format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        chat["response_format"] = {"type": "json_schema",
                                   "json_schema": {"name": "response", "schema": fmt.get("schema") or {}}}
    elif fmt is not None:
        raise _fail("output_config.format", 'must be {"type": "json_schema", "schema": {...}}')


# ---------------------------------------------------------------- answers


def _message_id(chat_id: Any) -> str:
    text = str(chat_id or "")
    return "msg_" + (text.removeprefix("chatcmpl-") or new_id(""))


def anthropic_usage(usage: Json | None) -> Json:
    """OpenAI usage -> Anthropic usage (whose input_tokens excludes cache reads and writes)."""
    n = usage_dict(usage) or {}
    read, write = n.get("cache_read_tokens") or 0, n.get("cache_write_tokens") or 0
    return {"input_tokens": max((n.get("input_tokens") or 0) - read - write, 0),
            "output_tokens": n.get("output_tokens") or 0,
            "cache_read_input_tokens": read, "cache_creation_input_tokens": write}


def _arguments(raw: Any) -> Json:
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def chat_to_message(completion: Json, *, model: str) -> Json:
    """A chat.completion -> an Anthropic Message (model = the caller's alias)."""
    choice = (completion.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    content: list[Json] = []
    if message.get("reasoning_content"):
        content.append({"type": "thinking", "thinking": message["reasoning_content"], "signature": ""})
    if message.get("content"):
        content.append({"type": "text", "text": message["content"]})
    for call in message.get("tool_calls") or []:
        fn = call.get("function") or {}
        content.append({"type": "tool_use", "id": call.get("id") or new_id("toolu_"), "name": fn.get("name", ""),
                        "input": _arguments(fn.get("arguments"))})
    reason = STOP_REASONS.get(choice.get("finish_reason") or "stop", "end_turn")
    return {"id": _message_id(completion.get("id")), "type": "message", "role": "assistant", "model": model,
            "content": content, "stop_reason": reason, "stop_sequence": None,
            "usage": anthropic_usage(completion.get("usage"))}


def encode_event(event: Json) -> bytes:
    """One Anthropic SSE event: `event: <type>\\ndata: <json>\\n\\n`."""
    return b"event: " + str(event["type"]).encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n"


class AnthropicEvents:
    """Chat Completions chunks -> Anthropic stream events, chunk by chunk (a ChunkTransform)."""

    def __init__(self, *, model: str) -> None:
        self.model = model
        self.usage: Json | None = None  # OpenAI usage of the usage chunk
        self._started = False
        self._index = -1
        self._open: str | None = None  # kind of the open content block
        self._tools: dict[int, int] = {}  # chat tool-call index -> block index
        self._stop: str | None = None

    def _start(self, chunk: Json) -> list[Json]:
        self._started = True
        message: Json = {"id": _message_id(chunk.get("id")), "type": "message", "role": "assistant", "model": self.model,
                   "content": [], "stop_reason": None, "stop_sequence": None,
                   "usage": {"input_tokens": 0, "output_tokens": 0}}
        return [{"type": "message_start", "message": message}]

    def _close(self) -> list[Json]:
        if self._open is None:
            return []
        self._open = None
        return [{"type": "content_block_stop", "index": self._index}]

    def _open_block(self, kind: str, block: Json) -> list[Json]:
        out = self._close()
        self._index += 1
        self._open = kind
        return [*out, {"type": "content_block_start", "index": self._index, "content_block": block}]

    def feed(self, chunk: Json) -> list[Json]:
        out = [] if self._started else self._start(chunk)
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            if delta.get("reasoning_content"):
                if self._open != "thinking":
                    out += self._open_block("thinking", {"type": "thinking", "thinking": "", "signature": ""})
                out.append({"type": "content_block_delta", "index": self._index,
                            "delta": {"type": "thinking_delta", "thinking": delta["reasoning_content"]}})
            if delta.get("content"):
                if self._open != "text":
                    out += self._open_block("text", {"type": "text", "text": ""})
                out.append({"type": "content_block_delta", "index": self._index,
                            "delta": {"type": "text_delta", "text": delta["content"]}})
            for call in delta.get("tool_calls") or []:
                out += self._tool_delta(call)
            if choice.get("finish_reason"):
                self._stop = STOP_REASONS.get(choice["finish_reason"], "end_turn")
        return out

    def _tool_delta(self, call: Json) -> list[Json]:
        out: list[Json] = []
        n = call.get("index", 0)
        fn = call.get("function") or {}
        if n not in self._tools:
            out += self._open_block(f"tool{n}", {"type": "tool_use", "id": call.get("id") or new_id("toolu_"),
                                                 "name": fn.get("name", ""), "input": {}})
            self._tools[n] = self._index
        if fn.get("arguments"):
            out.append({"type": "content_block_delta", "index": self._tools[n],
                        "delta": {"type": "input_json_delta", "partial_json": fn["arguments"]}})
        return out

    def finish(self) -> list[Json]:
        out = [] if self._started else self._start({})
        out += self._close()
        if self._stop is None:
            self._stop = "tool_use" if self._tools else "end_turn"
        out.append({"type": "message_delta", "delta": {"stop_reason": self._stop, "stop_sequence": None},
                    "usage": anthropic_usage(self.usage)})
        out.append({"type": "message_stop"})
        return out


class TranslatingRelay:
    """A RawRouteStream relay: another family's stream events -> Anthropic SSE event bytes."""

    def __init__(self, translator: Any, *, model: str) -> None:
        self._translator = translator  # a family StreamTranslator (upstream events -> chat chunks)
        self._events = AnthropicEvents(model=model)
        self.usage: Json | None = None

    def _encode(self, chunks: list[Json]) -> list[bytes]:
        out: list[bytes] = []
        for chunk in chunks:
            out.extend(encode_event(e) for e in self._events.feed(chunk))
        return out

    def feed(self, raw: bytes, event: str | None, data: Json) -> list[bytes]:
        return self._encode(self._translator.feed(event, data))

    def finish(self) -> list[bytes]:
        out = self._encode(self._translator.finish())
        self._events.usage = self._events.usage or self._translator.usage
        self.usage = usage_dict(self._events.usage)
        return out + [encode_event(e) for e in self._events.finish()]
