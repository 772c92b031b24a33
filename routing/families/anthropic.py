"""Claude on Vertex: `publishers/anthropic/models/{m}:rawPredict` / `:streamRawPredict`.

The body is the Anthropic Messages body WITHOUT `model` (it is in the URL) and WITH
`"anthropic_version": "vertex-2023-10-16"`. The gateway always sets that version: a caller who sends
another value gets a 400 naming `anthropic_version` (silently changing it would hide the mistake;
the same value is accepted and changes nothing).

OpenAI `response_format` (json_object / json_schema) becomes one forced tool named
`json_response_format` whose input is the JSON answer; the answer's tool input is handed back as the
message content, so callers see plain JSON text as with other families.
"""

from __future__ import annotations

import json
from typing import Any

from routing import openai_types as ot
from routing.families.anthropic_stream import AnthropicStreamTranslator, claude_usage, finish_reason
from routing.families.base import BaseAdapter, Json, WireRequest
from routing.families.common import completion, image_source, message_choice, parse_arguments, tool_call

ANTHROPIC_VERSION = "vertex-2023-10-16"
DEFAULT_MAX_TOKENS = 4096
MIN_THINKING_BUDGET = 1024
JSON_TOOL = "json_response_format"
UNSUPPORTED = ("logprobs", "top_logprobs", "logit_bias", "presence_penalty", "frequency_penalty", "seed",
               "audio", "modalities", "prediction", "web_search_options")
COUNT_TOKENS_RESOURCE = "publishers/anthropic/models/count-tokens:rawPredict"


def _user_blocks(content: Any, *, param: str) -> str | list[Json]:
    if isinstance(content, str):
        return content
    blocks: list[Json] = []
    for j, part in enumerate(content or []):
        kind = part.get("type")
        where = f"{param}[{j}]"
        if kind in {"text", "input_text"}:
            block: Json = {"type": "text", "text": part.get("text") or ""}
        elif kind in {"image_url", "input_image"}:
            url = part.get("image_url")
            url = url.get("url") if isinstance(url, dict) else url
            how, mime, data = image_source(url, param=f"{where}.image_url.url")
            if how == "inline":
                block = {"type": "image", "source": {"type": "base64", "media_type": mime, "data": data}}
            elif data.startswith("gs://"):
                raise ot.invalid(f"{where}.image_url.url", "Claude cannot read gs:// URLs; send a data: or https URL")
            else:
                block = {"type": "image", "source": {"type": "url", "url": data}}
        elif kind == "file":
            file = part.get("file") or {}
            how, mime, data = image_source(file.get("file_data"), param=f"{where}.file.file_data")
            if how != "inline" or mime != "application/pdf":
                raise ot.invalid(f"{where}.file.file_data", "Claude reads files as base64 PDF data URLs")
            block = {"type": "document", "source": {"type": "base64", "media_type": mime, "data": data}}
        else:
            raise ot.invalid(f"{where}.type", f"{kind!r} parts are not supported by Claude models")
        if part.get("cache_control"):
            block["cache_control"] = part["cache_control"]
        blocks.append(block)
    return blocks


def messages_from_openai(messages: list[Json]) -> tuple[list[Json], str | None]:
    """OpenAI messages -> (Anthropic messages, system text)."""
    system: list[str] = []
    out: list[Json] = []
    for i, message in enumerate(messages):
        role = message["role"]
        param = f"messages[{i}].content"
        if role in {"system", "developer"}:
            system.append(ot.text_of(message.get("content"), param=param))
        elif role == "user":
            out.append({"role": "user", "content": _user_blocks(message.get("content"), param=param)})
        elif role == "assistant":
            calls = message.get("tool_calls") or []
            text = ot.text_of(message.get("content"), param=param)
            if not calls:
                out.append({"role": "assistant", "content": text})
                continue
            blocks: list[Json] = [{"type": "text", "text": text}] if text else []
            for k, call in enumerate(calls):
                fn = call.get("function") or {}
                blocks.append({"type": "tool_use", "id": call.get("id", ""), "name": fn.get("name", ""),
                               "input": parse_arguments(fn.get("arguments"),
                                                        param=f"messages[{i}].tool_calls[{k}].function.arguments")})
            out.append({"role": "assistant", "content": blocks})
        else:
            result = {"type": "tool_result", "tool_use_id": message.get("tool_call_id", ""),
                      "content": ot.text_of(message.get("content"), param=param)}
            previous = out[-1] if out else None
            # All results for one assistant turn go in one user message, as Claude expects.
            if (previous and previous["role"] == "user" and isinstance(previous["content"], list)
                    and all(b.get("type") == "tool_result" for b in previous["content"])):
                previous["content"].append(result)
            else:
                out.append({"role": "user", "content": [result]})
    return out, ("\n\n".join(system) if system else None)


def _tools(request: Json) -> list[Json]:
    tools = []
    for tool in request.get("tools") or []:
        fn = tool["function"]
        entry: Json = {"name": fn["name"]}
        if fn.get("description"):
            entry["description"] = fn["description"]
        entry["input_schema"] = fn.get("parameters") or {"type": "object", "properties": {}}
        if tool.get("cache_control"):
            entry["cache_control"] = tool["cache_control"]
        tools.append(entry)
    return tools


def _tool_choice(request: Json) -> Json | None:
    choice = ot.tool_choice(request)
    out: Json | None = None
    if choice is not None:
        mode, name = choice
        out = {"type": "tool", "name": name} if mode == "function" else {
            "type": {"auto": "auto", "none": "none", "required": "any"}[mode]}
    if request.get("parallel_tool_calls") is False and (out is None or out["type"] != "none"):
        out = {**(out or {"type": "auto"}), "disable_parallel_tool_use": True}
    return out


def _thinking(request: Json, body: Json, max_tokens_given: bool) -> None:
    budget = ot.thinking_budget(request)
    if not budget:
        return
    param = ot.thinking_param(request)
    if budget < MIN_THINKING_BUDGET:
        raise ot.invalid(param, f"Claude needs a thinking budget of at least {MIN_THINKING_BUDGET} tokens, got {budget}")
    if body["max_tokens"] <= budget:
        if max_tokens_given:
            raise ot.invalid("max_tokens", f"must be greater than the thinking budget ({budget}) for Claude")
        body["max_tokens"] = budget + DEFAULT_MAX_TOKENS
    if request.get("temperature") not in (None, 1, 1.0):
        raise ot.invalid("temperature", "Claude allows only temperature 1 while thinking is enabled")
    if request.get("top_p") is not None and request["top_p"] < 0.95:
        raise ot.invalid("top_p", "Claude allows top_p between 0.95 and 1 while thinking is enabled")
    choice = body.get("tool_choice") or {}
    if choice.get("type") in {"any", "tool"}:
        raise ot.invalid("tool_choice", "Claude cannot be forced to call a tool while thinking; use auto or none")
    body["thinking"] = {"type": "enabled", "budget_tokens": budget}


def _json_mode(request: Json, body: Json) -> None:
    kind, schema, _ = ot.response_format(request)
    if kind == "text":
        return
    if request.get("tools"):
        raise ot.invalid("response_format", "Claude models cannot combine a JSON response_format with tools")
    if body.get("thinking"):
        raise ot.invalid("response_format", "Claude models cannot combine a JSON response_format with thinking")
    body["tools"] = [{"name": JSON_TOOL, "description": "Respond with the JSON answer.",
                      "input_schema": schema or {"type": "object"}}]
    body["tool_choice"] = {"type": "tool", "name": JSON_TOOL}


def build_body(request: Json, *, stream: bool) -> Json:
    """The Anthropic Messages body for Vertex (no `model`; `anthropic_version` fixed)."""
    ot.validate_chat(request)
    version = request.get("anthropic_version")
    if version is not None and version != ANTHROPIC_VERSION:
        raise ot.invalid("anthropic_version", f"is fixed to {ANTHROPIC_VERSION} on Vertex; leave it out")
    ot.reject_unsupported(request, family="Claude", names=UNSUPPORTED)
    if request.get("n") not in (None, 1):
        raise ot.invalid("n", "Claude models return one choice; leave n out or set it to 1")
    messages, system = messages_from_openai(request["messages"])
    limit = ot.max_output_tokens(request)
    body: Json = {"max_tokens": limit or DEFAULT_MAX_TOKENS, "messages": messages}
    if system:
        body["system"] = system
    for source, name in (("temperature", "temperature"), ("top_p", "top_p"), ("top_k", "top_k")):
        if request.get(source) is not None:
            body[name] = request[source]
    if (stop := ot.stop_sequences(request)) is not None:
        body["stop_sequences"] = stop
    if tools := _tools(request):
        body["tools"] = tools
    if (choice := _tool_choice(request)) is not None:
        body["tool_choice"] = choice
    if isinstance(request.get("user"), str):
        body["metadata"] = {"user_id": request["user"]}
    _thinking(request, body, max_tokens_given=limit is not None)
    _json_mode(request, body)
    if stream:
        body["stream"] = True
    body["anthropic_version"] = ANTHROPIC_VERSION
    return body


def parse_message(body: Json, *, model: str) -> Json:
    """An Anthropic Message -> chat.completion."""
    texts: list[str] = []
    thoughts: list[str] = []
    calls: list[Json] = []
    json_text: str | None = None
    for block in body.get("content") or []:
        kind = block.get("type")
        if kind == "text":
            texts.append(block.get("text") or "")
        elif kind == "thinking":
            thoughts.append(block.get("thinking") or "")
        elif kind == "tool_use" and block.get("name") == JSON_TOOL:
            json_text = json.dumps(block.get("input") or {}, separators=(",", ":"), ensure_ascii=False)
        elif kind == "tool_use":
            calls.append(tool_call(block.get("id", ""), block.get("name", ""), block.get("input") or {}))
    json_answer = json_text is not None
    if json_text is not None:
        texts = [json_text]  # only the JSON is the answer; a text preamble would make it unparseable
    reason = finish_reason(body.get("stop_reason"), json_answer=json_answer)
    choice = message_choice(0, text="".join(texts) if texts else None, tool_calls=calls, finish_reason=reason,
                            reasoning="".join(thoughts) or None)
    return completion(model=model, choices=[choice], usage=claude_usage(body.get("usage") or {}))


class AnthropicAdapter(BaseAdapter):
    """Claude models (`claude-*`) through Vertex's rawPredict."""

    family = "anthropic"
    capabilities = frozenset({"chat", "count_tokens"})

    def build_chat(self, request: Json, *, target: str, model: str) -> WireRequest:
        stream = bool(request.get("stream"))
        method = "streamRawPredict" if stream else "rawPredict"
        return WireRequest(f"publishers/anthropic/models/{target}:{method}", build_body(request, stream=stream),
                           stream=stream)

    def parse_chat(self, body: Json, *, model: str) -> Json:
        return parse_message(body, model=model)

    def stream_translator(self, *, model: str, include_usage: bool,
                          request: Json | None = None) -> AnthropicStreamTranslator:
        """`request` (optional): the caller's chat body; in JSON mode only the JSON is streamed as content."""
        json_mode = request is not None and ot.response_format(request)[0] != "text"
        return AnthropicStreamTranslator(model=model, include_usage=include_usage, json_tool=JSON_TOOL,
                                         json_mode=json_mode)

    def build_count_tokens(self, request: Json, *, target: str) -> WireRequest:
        """count-tokens takes the model in the body; only the prompt-shaping fields are kept."""
        full = build_body(request, stream=False)
        body: Json = {k: full[k] for k in ("messages", "system", "tools", "tool_choice", "thinking") if k in full}
        body["model"] = target
        body["anthropic_version"] = ANTHROPIC_VERSION
        return WireRequest(COUNT_TOKENS_RESOURCE, body)

    def parse_count_tokens(self, body: Json, *, model: str) -> Json:
        return {"object": "response.input_tokens", "input_tokens": int(body.get("input_tokens") or 0),
                "model": model}
