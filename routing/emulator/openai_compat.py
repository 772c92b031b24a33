"""OpenAI-shaped chat: Mistral's rawPredict/streamRawPredict and partner MaaS
`endpoints/openapi/chat/completions` (both take an OpenAI chat body with `model`)."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import orjson

from . import text as T
from .errors import google_error
from .server import Reply, json_reply


class ChatError(Exception):
    pass


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _tool_call(body: dict[str, Any], last_text: str, last: dict[str, Any]) -> dict[str, Any] | None:
    tools: list[dict[str, Any]] = [t["function"] for t in body.get("tools") or []
                                   if isinstance(t, dict) and isinstance(t.get("function"), dict)]
    tools = [t for t in tools if t.get("name")]
    if not tools or last.get("role") == "tool":
        return None
    choice = body.get("tool_choice", "auto")
    if choice == "none":
        return None
    chosen: dict[str, Any] | None
    # Only an explicit trigger calls a tool: `[[call:NAME {args}]]` in the last turn, or a forced choice.
    marker = T.tool_marker(_text(last.get("content")))
    marker_args = None
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        chosen = next((t for t in tools if t["name"] == name), tools[0])
    else:
        chosen = next((t for t in tools if marker and t["name"] == marker[0]), None)
        if chosen is not None and marker is not None:
            marker_args = marker[1]
        if chosen is None and choice in ("required", "any"):
            chosen = tools[0]
    if chosen is None:
        return None
    args = marker_args if marker_args is not None else T.tool_arguments(chosen.get("parameters") or {}, last_text)
    return {
        "id": "call_" + hashlib.sha256(last_text.encode()).hexdigest()[:24],
        "type": "function",
        "function": {"name": chosen["name"], "arguments": orjson.dumps(args).decode()},
    }


def build(body: Any, model: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ChatError("Request body must be a JSON object.")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        raise ChatError("messages: at least one message is required.")
    last = messages[-1]
    last_text = _text(last.get("content")) or " ".join(_text(m.get("content")) for m in messages)
    seed = T.seed_of(model, messages)
    prompt_tokens = sum(4 + T.count_tokens(_text(m.get("content"))) for m in messages)
    max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
    call = _tool_call(body, last_text, last)
    message: dict[str, Any] = {"role": "assistant", "content": None}
    finish = "stop"
    if call is not None:
        message["tool_calls"] = [call]
        finish = "tool_calls"
        completion = T.count_tokens(call["function"]["arguments"]) + 5
    else:
        prompt = ("tool result " + last_text) if last.get("role") == "tool" else last_text
        answer, truncated = T.answer_text(prompt, max_tokens=max_tokens if isinstance(max_tokens, int) else None, seed=seed)
        if isinstance(body.get("response_format"), dict) and body["response_format"].get("type") in ("json_object", "json_schema"):
            schema = (body["response_format"].get("json_schema") or {}).get("schema")
            value = T.sample_for_schema(schema, seed=seed) if schema else {"answer": answer}
            answer, truncated = orjson.dumps(value).decode(), False
        message["content"] = answer
        completion = T.count_tokens(answer)
        if truncated:
            finish = "length"
    return {
        "id": "chatcmpl-" + hashlib.sha256(str(seed).encode()).hexdigest()[:29],
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion, "total_tokens": prompt_tokens + completion},
    }


def chunks(completion: dict[str, Any]) -> list[bytes]:
    base = {k: completion[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}
    choice = completion["choices"][0]
    message = choice["message"]
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    if message.get("tool_calls"):
        call = message["tool_calls"][0]
        args = call["function"]["arguments"]
        deltas.append({"tool_calls": [{"index": 0, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"], "arguments": ""}}]})
        half = len(args) // 2
        deltas += [{"tool_calls": [{"index": 0, "function": {"arguments": part}}]} for part in (args[:half], args[half:])]
    else:
        deltas += [{"content": piece} for piece in T.chunks(message["content"] or "", 5)]
    out = []
    for delta in deltas:
        out.append(b"data: " + orjson.dumps({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}) + b"\n\n")
    final = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}], "usage": completion["usage"]}
    out.append(b"data: " + orjson.dumps(final) + b"\n\n")
    out.append(b"data: [DONE]\n\n")
    return out


def chat(body: Any, *, model_from_body: bool, model: str = "") -> Reply:
    if model_from_body:
        model = str(body.get("model") or "") if isinstance(body, dict) else ""
        if not model:
            return google_error(400, "model: a model is required.")
    try:
        completion = build(body, model)
    except ChatError as exc:
        return google_error(400, str(exc))
    if body.get("stream"):
        return Reply(events=chunks(completion), content_type="text/event-stream")
    return json_reply(completion)


def raw_predict(emu: Any, model: str, body: Any, project: str, region: str) -> Reply:
    return chat(body, model_from_body=False, model=str(body.get("model") or model) if isinstance(body, dict) else model)


def stream_raw_predict(emu: Any, model: str, body: Any, project: str, region: str) -> Reply:
    if isinstance(body, dict):
        body = {**body, "stream": True}
    return raw_predict(emu, model, body, project, region)
