"""Builders for the OpenAI answer shapes every family produces, and small shared readers."""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
import time
import uuid
from typing import Any

from routing.errors import StreamInterruptedError
from routing.openai_types import invalid

Json = dict[str, Any]


def new_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:24]}"


def completion(*, model: str, choices: list[Json], usage: Json | None, created: int | None = None) -> Json:
    """An OpenAI `chat.completion` object. Its id is always the gateway's own `chatcmpl-...`, as a
    stream's chunks have it (ChunkWriter), whatever id the family's answer had (Claude's `msg_...`);
    the upstream id stays in the recorded wire response."""
    out: Json = {
        "id": new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": created or int(time.time()),
        "model": model,
        "choices": choices,
    }
    if usage is not None:
        out["usage"] = usage
    return out


def message_choice(
    index: int, *, text: str | None, tool_calls: list[Json], finish_reason: str | None,
    reasoning: str | None = None,
) -> Json:
    message: Json = {"role": "assistant", "content": text if (text or not tool_calls) else None}
    if text is None and not tool_calls:
        message["content"] = ""
    if tool_calls:
        message["tool_calls"] = tool_calls
    if reasoning:
        message["reasoning_content"] = reasoning
    return {"index": index, "message": message, "finish_reason": finish_reason, "logprobs": None}


def tool_call(id_: str, name: str, arguments: Any) -> Json:
    args = arguments if isinstance(arguments, str) else json.dumps(arguments or {}, separators=(",", ":"))
    return {"id": id_, "type": "function", "function": {"name": name, "arguments": args}}


def usage(
    *, prompt: int, completion_tokens: int, total: int | None = None, cached: int | None = None,
    reasoning: int | None = None, cache_write: int | None = None,
) -> Json:
    """OpenAI usage; the details appear only when the family reports them. `cache_write` (tokens
    written to a prompt cache, Claude's cache_creation_input_tokens) is kept in
    prompt_tokens_details.cache_write_tokens so the Responses API can report it."""
    out: Json = {
        "prompt_tokens": prompt,
        "completion_tokens": completion_tokens,
        "total_tokens": total if total is not None else prompt + completion_tokens,
    }
    if cached is not None:
        out["prompt_tokens_details"] = {"cached_tokens": cached}
    if cache_write:
        out.setdefault("prompt_tokens_details", {"cached_tokens": 0})["cache_write_tokens"] = cache_write
    if reasoning is not None:
        out["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return out


class ChunkWriter:
    """Builds `chat.completion.chunk` objects with one id/created/model for the whole stream."""

    def __init__(self, *, model: str, include_usage: bool) -> None:
        self.model = model
        self.include_usage = include_usage
        self.id = new_id("chatcmpl-")
        self.created = int(time.time())
        self.started: set[int] = set()

    def chunk(self, index: int, delta: Json, finish_reason: str | None = None) -> Json:
        if index not in self.started:
            self.started.add(index)
            delta = {"role": "assistant", **delta}
        out: Json = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": index, "delta": delta, "finish_reason": finish_reason, "logprobs": None}],
        }
        if self.include_usage:
            out["usage"] = None
        return out

    def usage_chunk(self, usage_: Json | None) -> Json:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [],
            "usage": usage_,
        }


def image_source(url: Any, *, param: str) -> tuple[str, str, str]:
    """Classify an OpenAI `image_url.url`: ("inline", mime, base64 data) or ("url", mime, url)."""
    if not isinstance(url, str) or not url:
        raise invalid(param, "must be a data: URL or an http(s)/gs URL")
    if url.startswith("data:"):
        header, sep, data = url[5:].partition(",")
        if not sep or ";base64" not in header:
            raise invalid(param, "data URLs must be base64 encoded (data:image/png;base64,...)")
        mime = header.split(";")[0] or "image/png"
        try:
            base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise invalid(param, "the data URL is not valid base64") from None
        return "inline", mime, data
    if url.startswith(("https://", "http://", "gs://")):
        guessed, _ = mimetypes.guess_type(url.split("?")[0])
        return "url", guessed or "image/jpeg", url
    raise invalid(param, "must be a data: URL or an http(s)/gs URL")


def parse_arguments(arguments: Any, *, param: str) -> Json:
    """Tool-call arguments (a JSON string in OpenAI's shape) as an object."""
    if isinstance(arguments, dict):
        return arguments
    if arguments in (None, ""):
        return {}
    try:
        value = json.loads(arguments)
    except (TypeError, ValueError):
        raise invalid(param, "must be a JSON object encoded as a string") from None
    if not isinstance(value, dict):
        raise invalid(param, "must be a JSON object encoded as a string")
    return value


def stream_error(family: str, error: Any) -> StreamInterruptedError:
    """An error event inside an upstream stream, as a clean error the caller can show."""
    if isinstance(error, dict):
        kind = error.get("type") or error.get("status") or "error"
        message = error.get("message") or "no details"
    else:
        kind, message = "error", str(error)
    return StreamInterruptedError(
        f"{family} stopped the stream with an error ({kind}): {message}", upstream_body={"error": error}
    )
