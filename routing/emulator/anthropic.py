"""Claude on Vertex: rawPredict, streamRawPredict and count-tokens:rawPredict.

The body is Anthropic's Messages body without `model` (it is in the URL) and with
`"anthropic_version": "vertex-2023-10-16"` (what anthropic.lib.vertex's `_prepare_options` sends).
Errors from the model's own validation come in Anthropic's shape, as Vertex relays them.

Recent anthropic SDKs (2.x) send their dated API version (e.g. "2026-10-21") as `anthropic_version`
on Vertex too, so a dated version is accepted as well; a missing one, or another platform's
("bedrock-2023-05-31"), is rejected.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import orjson

from . import text as T
from .errors import anthropic_error
from .server import Reply, json_reply

VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16"
MIN_THINKING_BUDGET = 1024
_DATED_VERSION = re.compile(r"^20\d\d-\d\d-\d\d$")


class ClaudeError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _block_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    out = []
    for block in content or []:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text":
            out.append(str(block.get("text", "")))
        elif block.get("type") == "tool_result":
            out.append(_block_text(block.get("content")))
    return " ".join(out)


def input_tokens(body: dict[str, Any]) -> int:
    total = 3
    system = body.get("system")
    if system:
        total += T.count_tokens(_block_text(system))
    for message in body.get("messages") or []:
        if isinstance(message, dict):
            total += 4 + T.count_tokens(_block_text(message.get("content")))
    if body.get("tools"):
        total += T.count_tokens(orjson.dumps(body["tools"]).decode()) + 300
    return total


def _validate(body: Any, *, for_count: bool = False) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ClaudeError("Request body must be a JSON object.")
    if "model" in body and not for_count:
        raise ClaudeError("model: Extra inputs are not permitted")
    version = body.get("anthropic_version")
    if version is None:
        raise ClaudeError("anthropic_version: Field required")
    if version != VERTEX_ANTHROPIC_VERSION and not (isinstance(version, str) and _DATED_VERSION.match(version)):
        raise ClaudeError(f"anthropic_version: Input should be '{VERTEX_ANTHROPIC_VERSION}'")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ClaudeError("messages: Field required" if messages is None else "messages: at least one message is required")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise ClaudeError(f"messages.{i}.role: Input should be 'user' or 'assistant'")
    if for_count:
        return body
    max_tokens = body.get("max_tokens")
    if max_tokens is None:
        raise ClaudeError("max_tokens: Field required")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        raise ClaudeError("max_tokens: Input should be greater than or equal to 1")
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") == "enabled":
        budget = thinking.get("budget_tokens")
        if not isinstance(budget, int) or budget < MIN_THINKING_BUDGET:
            raise ClaudeError(f"thinking.enabled.budget_tokens: Input should be greater than or equal to {MIN_THINKING_BUDGET}")
        if max_tokens <= budget:
            raise ClaudeError(
                "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at "
                "https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size"
            )
    return body


def _tool_choice(body: dict[str, Any], last_text: str, last: dict[str, Any]
                 ) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """(tool, args from the marker or None) when the request forces a tool or the last user turn
    carries `[[call:NAME {args}]]` (see text.tool_marker); else None."""
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict) and t.get("name")]
    if not tools:
        return None
    content = last.get("content")
    if isinstance(content, list) and any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content):
        return None
    choice = body.get("tool_choice") or {"type": "auto"}
    kind = choice.get("type", "auto") if isinstance(choice, dict) else "auto"
    if kind == "none":
        return None
    marker = T.tool_marker(last_text)
    if kind == "tool":
        return next((t for t in tools if t["name"] == choice.get("name")), tools[0]), None
    if marker is not None:
        chosen = next((t for t in tools if t["name"] == marker[0]), None)
        if chosen is not None:
            return chosen, marker[1]
    return (tools[0], None) if kind == "any" else None


def build(model: str, body: dict[str, Any]) -> dict[str, Any]:
    """The whole Message for `body` (model id as Vertex reports it: `@` becomes `-`)."""
    messages = body["messages"]
    last = messages[-1]
    last_text = _block_text(last.get("content")) or " ".join(_block_text(m.get("content")) for m in messages)
    seed = T.seed_of(model, body.get("system"), messages)
    content: list[dict[str, Any]] = []
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive"):
        thought = T.thought_text(last_text)
        signature = base64.b64encode(hashlib.sha256(thought.encode()).digest() * 3).decode()
        content.append({"type": "thinking", "thinking": thought, "signature": signature})
    picked = _tool_choice(body, _block_text(last.get("content")), last)
    stop_reason = "end_turn"
    if picked is not None:
        tool, marker_args = picked
        content.append({"type": "text", "text": f"I'll use the {tool['name']} tool to answer that."})
        content.append(
            {
                "type": "tool_use",
                "id": "toolu_vrtx_" + hashlib.sha256(str(seed).encode()).hexdigest()[:24],
                "name": tool["name"],
                "input": marker_args if marker_args is not None else T.tool_arguments(
                    tool.get("input_schema") or {}, last_text),
            }
        )
        stop_reason = "tool_use"
    else:
        prompt = last_text
        if isinstance(last.get("content"), list) and any(
            isinstance(b, dict) and b.get("type") == "tool_result" for b in last["content"]
        ):
            prompt = "tool result " + last_text
        budget = body["max_tokens"] - sum(T.count_tokens(b.get("thinking", "")) for b in content)
        answer, truncated = T.answer_text(prompt, max_tokens=max(1, budget), seed=seed)
        if truncated:
            stop_reason = "max_tokens"
        content.append({"type": "text", "text": answer})
    output = sum(
        T.count_tokens(b.get("text") or b.get("thinking") or orjson.dumps(b.get("input", "")).decode()) for b in content
    )
    return {
        "id": "msg_vrtx_" + hashlib.sha256(f"{seed}".encode()).hexdigest()[:24],
        "type": "message",
        "role": "assistant",
        "model": model.replace("@", "-"),
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": input_tokens(body),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": output,
        },
    }


def _cached_prefix(body: dict[str, Any]) -> str:
    """The text up to and including the last block marked `cache_control` (tools, system, messages
    in that order, as Anthropic's prompt caching reads them); "" when nothing is marked."""
    parts: list[str] = []
    prefix = ""
    for tool in body.get("tools") or []:
        parts.append(orjson.dumps(tool).decode())
        if isinstance(tool, dict) and tool.get("cache_control"):
            prefix = " ".join(parts)
    system = body.get("system")
    blocks = system if isinstance(system, list) else ([{"type": "text", "text": system}] if system else [])
    messages = [b for m in body.get("messages") or [] if isinstance(m, dict)
                for b in (m["content"] if isinstance(m.get("content"), list)
                          else [{"type": "text", "text": m.get("content") or ""}])]
    for block in [*blocks, *messages]:
        if isinstance(block, dict):
            parts.append(_block_text([block]))
            if block.get("cache_control"):
                prefix = " ".join(parts)
    return prefix


def _with_prompt_cache(emu: Any, model: str, body: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    """Claude's prompt cache: the first request with a marked prefix writes it (cache_creation),
    the same prefix again reads it (cache_read); those tokens leave `input_tokens`."""
    prefix = _cached_prefix(body)
    if not prefix:
        return message
    tokens = T.count_tokens(prefix)
    key = hashlib.sha256(f"{model}\0{prefix}".encode()).hexdigest()
    usage = dict(message["usage"])
    usage["input_tokens"] = max(usage["input_tokens"] - tokens, 1)
    if key in emu.prompt_cache:
        usage["cache_read_input_tokens"] = tokens
    else:
        emu.prompt_cache.add(key)
        usage["cache_creation_input_tokens"] = tokens
    return {**message, "usage": usage}


def raw_predict(emu: Any, model: str, body: Any, project: str, region: str) -> Reply:
    try:
        valid = _validate(body)
        return json_reply(_with_prompt_cache(emu, model, valid, build(model, valid)))
    except ClaudeError as exc:
        return anthropic_error(400, exc.message)


def stream_raw_predict(emu: Any, model: str, body: Any, project: str, region: str) -> Reply:
    try:
        valid = _validate(body)
        message = _with_prompt_cache(emu, model, valid, build(model, valid))
    except ClaudeError as exc:
        return anthropic_error(400, exc.message)
    return Reply(events=events(message), content_type="text/event-stream; charset=utf-8")


def count_tokens(emu: Any, model: str, body: Any, project: str, region: str) -> Reply:
    try:
        valid = _validate(body, for_count=True)
    except ClaudeError as exc:
        return anthropic_error(400, exc.message)
    return json_reply({"input_tokens": input_tokens(valid)})


def _event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


def events(message: dict[str, Any]) -> list[bytes]:
    """The full Messages stream for `message`, split into deltas."""
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    start["usage"] = {**message["usage"], "output_tokens": 1}
    out = [_event("message_start", {"type": "message_start", "message": start}), _event("ping", {"type": "ping"})]
    for index, block in enumerate(message["content"]):
        kind = block["type"]
        if kind == "text":
            out.append(_event("content_block_start", {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}))
            for piece in T.chunks(block["text"], 5):
                delta = {"type": "text_delta", "text": piece}
                out.append(_event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}))
        elif kind == "thinking":
            first: dict[str, Any] = {"type": "thinking", "thinking": "", "signature": ""}
            out.append(_event("content_block_start", {"type": "content_block_start", "index": index, "content_block": first}))
            for piece in T.chunks(block["thinking"], 3):
                delta = {"type": "thinking_delta", "thinking": piece}
                out.append(_event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}))
            delta = {"type": "signature_delta", "signature": block["signature"]}
            out.append(_event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}))
        elif kind == "tool_use":
            first = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            out.append(_event("content_block_start", {"type": "content_block_start", "index": index, "content_block": first}))
            raw = orjson.dumps(block["input"]).decode()
            cut = len(raw) // 2
            for piece in ("", raw[:cut], raw[cut:]):
                delta = {"type": "input_json_delta", "partial_json": piece}
                out.append(_event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}))
        out.append(_event("content_block_stop", {"type": "content_block_stop", "index": index}))
    out.append(
        _event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": message["usage"]["output_tokens"]},
            },
        )
    )
    out.append(_event("message_stop", {"type": "message_stop"}))
    return out
