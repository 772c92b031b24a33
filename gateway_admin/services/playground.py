"""The playground: send a conversation through the same Router as live traffic and report what happened.

`playground_send(...)` is an async iterator of events, so the view can stream them to the browser as
they arrive (NDJSON):

    {"event": "start", "model", "stream", "request": <the OpenAI request>}
    {"event": "delta", "text": "..."}                     # zero or more, in order
    {"event": "done", "text", "route": {...}, "attempts": [...], "ttft_ms", "latency_ms", "usage",
     "finish_reason", "raw_request": {...}, "raw_response": {...}}
    {"event": "error", "status", "error_type", "message", "attempts": [...], "latency_ms", ...}

Raw request and response are passed through `sanitize` first: bearer tokens, API keys, private keys
and credentials are replaced, whatever the adapter put in them. One request-log row (source
"playground") is written per call, success or failure.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from gateway_admin import routing_config
from gateway_admin.models import RequestLog
from gateway_admin.services.request_log import request_log_write
from routing.errors import RoutingError

logger = logging.getLogger(__name__)

REDACTED = "[redacted]"
# nginx's "client closed request": the caller stopped reading before the answer ended.
CLIENT_CLOSED = 499
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


def build_request(*, model: str, messages: Sequence[Mapping[str, str]], system: str = "",
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


def _attempts(attempts: Sequence[Any] | None) -> list[dict[str, Any]]:
    out = []
    for a in attempts or ():
        d = dataclasses.asdict(a) if dataclasses.is_dataclass(a) and not isinstance(a, type) else dict(vars(a))
        out.append(sanitize({k: v for k, v in d.items() if not k.startswith("_")}))
    return out


def _route(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name, None) for name in ("key_id", "key_name", "region", "host", "target", "family")}


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


def _usage_counts(usage: Mapping[str, Any] | None) -> tuple[int | None, int | None]:
    if not usage:
        return None, None
    return usage.get("prompt_tokens"), usage.get("completion_tokens")


def _log(*, user_id: int | None, request: Mapping[str, Any], route: Mapping[str, Any], status: int,
         attempts: list[dict[str, Any]], latency_ms: float, ttft_ms: float | None = None,
         usage: Mapping[str, Any] | None = None, error_type: str = "", error_message: str = "") -> None:
    input_tokens, output_tokens = _usage_counts(usage)
    key_id = route.get("key_id")
    try:
        request_log_write(
            source=RequestLog.Source.PLAYGROUND, user_id=user_id, operation="chat",
            model=str(request.get("model", "")),
            key_id=int(key_id) if isinstance(key_id, str | int) and str(key_id).isdigit() else None,
            key_name=route.get("key_name") or "", region=route.get("region") or "",
            host=route.get("host") or "", target=route.get("target") or "",
            stream=bool(request.get("stream")), status=status, error_type=error_type,
            error_message=error_message, latency_ms=latency_ms, ttft_ms=ttft_ms,
            input_tokens=input_tokens, output_tokens=output_tokens, attempts=max(len(attempts), 1),
            failovers=sum(1 for a in attempts if a.get("failover")), route=attempts,
        )
    except Exception:  # the log must never break the answer
        logger.exception("could not queue the playground request-log row")


async def playground_send(*, user_id: int | None, model: str, messages: Sequence[Mapping[str, str]],
                          system: str = "", temperature: float | None = None, max_tokens: int | None = None,
                          stream: bool = True, key_id: int | None = None) -> AsyncIterator[dict[str, Any]]:
    """Send one playground turn through the Router; yield start/delta/done (or error) events."""
    request = build_request(model=model, messages=messages, system=system, temperature=temperature,
                            max_tokens=max_tokens, stream=stream)
    yield {"event": "start", "model": model, "stream": stream, "key_id": key_id, "request": request}
    started = time.perf_counter()
    pinned = str(key_id) if key_id is not None else None
    router = await routing_config.arouter()
    if stream:
        async for event in _stream(router, request, pinned, started, user_id):
            yield event
        return
    try:
        result = await router.chat(request, key_id=pinned)
    except RoutingError as exc:
        yield _error_event(exc, request, started, user_id)
        return
    latency_ms = (time.perf_counter() - started) * 1000
    text, finish = _text_of_completion(result.response)
    attempts = _attempts(result.attempts)
    route = _route(result)
    yield {"event": "delta", "text": text}
    yield {"event": "done", "text": text, "finish_reason": finish, "route": route, "attempts": attempts,
           "ttft_ms": None, "latency_ms": round(latency_ms, 1), "usage": result.usage,
           "raw_request": sanitize(result.wire_request), "raw_response": sanitize(result.wire_response),
           "response": sanitize(result.response)}
    _log(user_id=user_id, request=request, route=route, status=200, attempts=attempts,
         latency_ms=latency_ms, usage=result.usage)


async def _stream(router: Any, request: dict[str, Any], pinned: str | None, started: float,
                  user_id: int | None) -> AsyncIterator[dict[str, Any]]:
    try:
        rs = await router.chat_stream(request, key_id=pinned)
    except RoutingError as exc:
        yield _error_event(exc, request, started, user_id)
        return
    text_parts: list[str] = []
    chunks: list[dict[str, Any]] = []
    finish: str | None = None
    ttft_ms: float | None = None
    try:
        async for chunk in rs:
            if len(chunks) < MAX_RAW_CHUNKS:
                chunks.append(chunk)
            text, chunk_finish = _text_of_chunk(chunk)
            finish = chunk_finish or finish
            if text:
                if ttft_ms is None:
                    ttft_ms = (time.perf_counter() - started) * 1000
                text_parts.append(text)
                yield {"event": "delta", "text": text}
    except RoutingError as exc:
        # The stream broke after it started: never retried; say so with what arrived.
        event = _error_event(exc, request, started, user_id, route_from=rs, partial="".join(text_parts))
        yield event
        return
    except (asyncio.CancelledError, GeneratorExit):
        # The browser went away or pressed Stop: the call still happened and is logged as such.
        _log(user_id=user_id, request=request, route=_route(rs), status=CLIENT_CLOSED, attempts=_attempts(rs.attempts),
             latency_ms=(time.perf_counter() - started) * 1000, ttft_ms=ttft_ms, usage=getattr(rs, "usage", None),
             error_type="client_closed_request", error_message="The caller stopped the answer before it ended.")
        raise
    finally:
        aclose = getattr(rs, "aclose", None)
        if aclose is not None:
            await aclose()
    latency_ms = (time.perf_counter() - started) * 1000
    attempts = _attempts(rs.attempts)
    route = _route(rs)
    router_ttft = getattr(rs, "ttft_ms", None)
    ttft = router_ttft if router_ttft is not None else ttft_ms
    text = "".join(text_parts)
    yield {"event": "done", "text": text, "finish_reason": finish, "route": route, "attempts": attempts,
           "ttft_ms": round(ttft, 1) if ttft is not None else None, "latency_ms": round(latency_ms, 1),
           "usage": rs.usage, "raw_request": sanitize(getattr(rs, "wire_request", None)),
           "raw_response": sanitize({"stream": "OpenAI chunks as the gateway produced them",
                                     "chunks": chunks, "truncated": len(chunks) >= MAX_RAW_CHUNKS})}
    _log(user_id=user_id, request=request, route=route, status=200, attempts=attempts,
         latency_ms=latency_ms, ttft_ms=ttft, usage=rs.usage)


def _error_event(exc: RoutingError, request: Mapping[str, Any], started: float, user_id: int | None, *,
                 route_from: Any = None, partial: str = "") -> dict[str, Any]:
    latency_ms = (time.perf_counter() - started) * 1000
    attempts = _attempts(getattr(route_from, "attempts", None) or getattr(exc, "attempts", None))
    last = attempts[-1] if attempts else {}
    route = _route(route_from) if route_from is not None else {
        k: last.get(k) for k in ("key_id", "key_name", "region", "host", "target")}
    message = sanitize(exc.user_message)
    _log(user_id=user_id, request=request, route=route, status=exc.status, attempts=attempts,
         latency_ms=latency_ms, error_type=exc.error_type, error_message=message)
    return {"event": "error", "status": exc.status, "error_type": exc.error_type, "message": message,
            "partial": partial, "route": route, "attempts": attempts, "latency_ms": round(latency_ms, 1),
            "upstream_status": getattr(exc, "upstream_status", None),
            "raw_response": sanitize(getattr(exc, "upstream_body", None))}
