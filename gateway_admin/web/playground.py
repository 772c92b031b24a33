"""The playground: send a conversation through the same Router as live traffic and report what happened.

`playground_send(...)` is an async iterator of events, so the view can stream them to the browser as
they arrive (NDJSON):

    {"event": "start", "model", "stream", "request": <the OpenAI request>}
    {"event": "delta", "text": "..."}                     # zero or more, in order
    {"event": "done", "text", "route": {...}, "attempts": [...], "ttft_ms", "latency_ms", "usage",
     "finish_reason", "raw_request": {...}, "raw_response": {...}}
    {"event": "error", "status", "error_type", "message", "attempts": [...], "latency_ms", ...}

Raw request and response are passed through `sanitize` first: bearer tokens, API keys, private keys
and credentials are replaced, whatever the adapter put in them. The call goes through the call
pipeline (gateway_admin/pipeline/) like every /v1 call: the same routing state, checks and one
request-log entry (source "playground") per call, success or failure.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from gateway_admin.pipeline import Caller, Chunk, Done, GatewayCall, GatewayError

REDACTED = "[redacted]"
MAX_RAW_CHUNKS = 200
SECRET_KEYS = {
    "authorization", "proxy-authorization", "x-goog-api-key", "api-key", "x-api-key", "cookie", "set-cookie",
    "access_token", "id_token", "refresh_token", "private_key", "private_key_id", "auth_credentials",
    "credentials", "client_secret", "assertion", "token",
}
_SECRET_PATTERNS = [
    re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(r"ya29\.[A-Za-z0-9._-]+"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
    re.compile(r"vga_[A-Za-z0-9_-]{20,}"),
    re.compile(r"(?i)([?&](?:key|access_token|token)=)[^&\s]+"),
]


def sanitize(value: Any) -> Any:
    """A deep copy of `value` with every secret-looking field or string replaced by "[redacted]"."""
    if isinstance(value, Mapping):
        return {k: (REDACTED if isinstance(k, str) and k.lower() in SECRET_KEYS and v not in (None, "")
                    else sanitize(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [sanitize(v) for v in value]
    if isinstance(value, str):
        for pattern in _SECRET_PATTERNS:
            value = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + REDACTED, value)
        return value
    return value


def attempts_shown(attempts: Any) -> list[dict[str, Any]]:
    """The attempts of a route as the page shows them, secrets removed."""
    return [sanitize(dataclasses.asdict(a)) for a in attempts or ()]


def build_request(*, model: str, messages: Any, system: str = "",
                  temperature: float | None = None, max_tokens: int | None = None,
                  stream: bool = True) -> dict[str, Any]:
    """The OpenAI Chat Completions body the playground sends (what /v1 would receive)."""
    body: dict[str, Any] = {"model": model, "messages": []}
    if system.strip():
        body["messages"].append({"role": "system", "content": system})
    body["messages"].extend({"role": m["role"], "content": m["content"]} for m in messages)
    if temperature is not None:
        body["temperature"] = temperature
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def _text_of_chunk(chunk: Mapping[str, Any]) -> tuple[str, str | None]:
    text, finish = "", None
    for choice in chunk.get("choices") or ():
        delta = choice.get("delta") or {}
        if isinstance(delta.get("content"), str):
            text += delta["content"]
        finish = choice.get("finish_reason") or finish
    return text, finish


def _text_of_completion(completion: Mapping[str, Any]) -> tuple[str, str | None]:
    choices = completion.get("choices") or [{}]
    message = choices[0].get("message") or {}
    content = message.get("content")
    if isinstance(content, list):  # content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
    return content or "", choices[0].get("finish_reason")


def _route(obj: Any) -> dict[str, Any]:
    route = {name: getattr(obj, name, None) for name in ("key_id", "key_name", "region", "host", "target", "family")}
    route["betas_dropped"] = list(getattr(obj, "betas_dropped", None) or [])  # anthropic-beta values not sent
    return route


def _ms(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


async def playground_send(*, user_id: int | None, model: str, messages: Sequence[Mapping[str, str]],
                          system: str = "", temperature: float | None = None, max_tokens: int | None = None,
                          stream: bool = True, key_id: int | None = None) -> AsyncIterator[dict[str, Any]]:
    """Send one playground turn through the call pipeline; yield start/delta/done (or error) events."""
    request = build_request(model=model, messages=messages, system=system, temperature=temperature,
                            max_tokens=max_tokens, stream=stream)
    yield {"event": "start", "model": model, "stream": stream, "key_id": key_id, "request": request}
    call = GatewayCall(surface="playground", operation="chat", source="playground", caller=Caller(user_id=user_id),
                       model=model, stream=stream)
    pinned = str(key_id) if key_id is not None else None
    try:
        request["model"] = await call.resolve(model)
        assert call.router is not None
        if stream:
            routed: Any = await call.router.chat_stream(request, key_id=pinned)
        else:
            routed = await call.router.chat(request, key_id=pinned)
    except Exception as exc:
        yield _error_event(call, call.fail(exc), exc)
        return
    if not stream:
        await call.done(routed)
        text, reason = _text_of_completion(routed.response)
        yield {"event": "delta", "text": text}
        yield {"event": "done", "text": text, "finish_reason": reason, "route": _route(routed),
               "attempts": attempts_shown(routed.attempts), "ttft_ms": None, "latency_ms": _ms(call.elapsed_ms()),
               "usage": routed.usage, "raw_request": sanitize(routed.wire_request),
               "raw_response": sanitize(routed.wire_response), "response": sanitize(routed.response)}
        return
    text_parts: list[str] = []
    chunks: list[Any] = []
    finish: str | None = None
    async for event in call.events(routed):
        if isinstance(event, Chunk):
            if len(chunks) < MAX_RAW_CHUNKS:
                chunks.append(event.data)
            text, chunk_finish = _text_of_chunk(event.data)
            finish = chunk_finish or finish
            if text:
                text_parts.append(text)
                yield {"event": "delta", "text": text}
        elif isinstance(event, Done):
            yield {"event": "done", "text": "".join(text_parts), "finish_reason": finish, "route": _route(routed),
                   "attempts": attempts_shown(routed.attempts), "ttft_ms": _ms(event.ttft_ms),
                   "latency_ms": _ms(call.elapsed_ms()), "usage": routed.usage,
                   "raw_request": sanitize(getattr(routed, "wire_request", None)),
                   "raw_response": sanitize({"stream": "OpenAI chunks as the gateway produced them",
                                             "chunks": chunks, "truncated": len(chunks) >= MAX_RAW_CHUNKS})}
        else:
            # The stream broke after it started: never retried; say so with what arrived.
            yield _error_event(call, event.error, event.cause, route_from=routed, partial="".join(text_parts))


def _error_event(call: GatewayCall, err: GatewayError, exc: BaseException, *, route_from: Any = None,
                 partial: str = "") -> dict[str, Any]:
    attempts = attempts_shown(getattr(route_from, "attempts", None) or getattr(exc, "attempts", None))
    last = attempts[-1] if attempts else {}
    route = _route(route_from) if route_from is not None else {
        k: last.get(k) for k in ("key_id", "key_name", "region", "host", "target")}
    return {"event": "error", "status": err.status, "error_type": err.code or err.type,
            "message": sanitize(err.message), "partial": partial, "route": route, "attempts": attempts,
            "latency_ms": _ms(call.elapsed_ms()), "upstream_status": getattr(exc, "upstream_status", None),
            "raw_response": sanitize(getattr(exc, "upstream_body", None))}
