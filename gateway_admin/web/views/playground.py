"""Playground: the page, and the streaming endpoint that sends a turn through the Router.

The endpoint answers NDJSON events (see gateway_admin/web/playground.py). Under ASGI (uvicorn, production) the
async event iterator is streamed as is; under WSGI (runserver, the test client) the dashboard's background
event loop (gateway_admin/aio.py) drives it and hands events over one by one, so answers still stream.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from typing import Any

import orjson
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET, require_POST

from gateway_admin.aio import iterate_sync
from gateway_admin.models import VertexKey
from gateway_admin.permissions import developer_required
from gateway_admin.selectors.models import models_page
from gateway_admin.selectors.request_log import request_log_latest_stopped
from gateway_admin.web.playground import playground_send

from .base import render_page

logger = logging.getLogger(__name__)

MAX_MESSAGES = 100
MAX_CHARS = 200_000
ROLES = {"user", "assistant"}


@developer_required
def playground_view(request: HttpRequest) -> HttpResponse:
    _, across = models_page()
    keys = list(VertexKey.objects.filter(enabled=True).order_by("name").values("id", "name", "region"))
    # Deployments first (what admins configured on purpose), then allowed, then custom endpoints.
    rank = {"deployment": 0, "allowed": 1, "custom": 2}
    across.sort(key=lambda m: (min((rank.get(s, 3) for s in m.sources), default=3), m.display_name.lower()))
    # The playground chats: a model whose family cannot (embeddings, Imagen, Veo) is not offered.
    chat = [m for m in across if "chat" in m.capabilities]
    models = [{"id": m.id, "display_name": m.display_name, "source": m.sources[0] if m.sources else "",
               "key_ids": " ".join(str(k[0]) for k in m.keys)} for m in chat]
    other = [m for m in across if "chat" not in m.capabilities]
    return render_page(request, "playground/playground.html", {
        "models": models, "keys": keys,
        "not_chat": [{"id": m.id, "jobs": ", ".join(m.capabilities) or "nothing known"} for m in other],
        "preselect": request.GET.get("model", ""),
        "second": models[1]["id"] if len(models) > 1 else "",
    }, nav="playground", title="Playground")


def _validate(payload: Any) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    if not isinstance(payload, dict):
        return {}, {"__all__": "Send a JSON object."}
    model = payload.get("model")
    if not isinstance(model, str) or not model.strip():
        errors["model"] = "Pick a model."
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages:
        errors["messages"] = "Write a message first."
        messages = []
    elif len(messages) > MAX_MESSAGES:
        errors["messages"] = f"At most {MAX_MESSAGES} messages; start a new chat."
    elif any(not isinstance(m, dict) or m.get("role") not in ROLES or not isinstance(m.get("content"), str)
             for m in messages):
        errors["messages"] = "Each message needs a role (user or assistant) and text."
    elif messages[-1].get("role") != "user" or not messages[-1]["content"].strip():
        errors["messages"] = "Write a message first."
    system = payload.get("system") or ""
    if not isinstance(system, str):
        errors["system"] = "The system prompt must be text."
        system = ""
    total = len(system) + sum(len(m.get("content", "")) for m in messages if isinstance(m, dict))
    if total > MAX_CHARS:
        errors["messages"] = f"The conversation is too long ({total} characters, at most {MAX_CHARS})."
    temperature = payload.get("temperature")
    if temperature in ("", None):
        temperature = None
    else:
        try:
            temperature = float(temperature)
            if not 0 <= temperature <= 2:
                raise ValueError
        except (TypeError, ValueError):
            errors["temperature"] = "A number from 0 to 2."
    max_tokens = payload.get("max_tokens")
    if max_tokens in ("", None):
        max_tokens = None
    else:
        try:
            max_tokens = int(max_tokens)
            if not 1 <= max_tokens <= 65536:
                raise ValueError
        except (TypeError, ValueError):
            errors["max_tokens"] = "A whole number from 1 to 65536."
    key_id = payload.get("key_id")
    if key_id in ("", None):
        key_id = None
    else:
        try:
            key_id = int(key_id)
        except (TypeError, ValueError):
            errors["key_id"] = "Pick a key from the list."
        else:
            if not VertexKey.objects.filter(pk=key_id, enabled=True).exists():
                errors["key_id"] = "This key does not exist or is disabled."
    clean = {"model": (model or "").strip() if isinstance(model, str) else "", "messages": messages,
             "system": system, "temperature": temperature, "max_tokens": max_tokens,
             "stream": bool(payload.get("stream", True)), "key_id": key_id}
    return clean, errors


def _ndjson(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event, default=str) + b"\n"


async def _aevents(make: Callable[[], AsyncIterator[dict[str, Any]]]) -> AsyncIterator[bytes]:
    async for event in make():
        yield _ndjson(event)


def _sync_events(make: Callable[[], AsyncIterator[dict[str, Any]]]) -> Iterator[bytes]:
    try:
        for event in iterate_sync(make):
            yield _ndjson(event)
    except Exception:
        logger.exception("playground stream failed")
        yield _ndjson({"event": "error", "status": 500, "error_type": "internal_error",
                       "message": "The playground failed unexpectedly; see the server log."})


@developer_required
@require_POST
def playground_send_view(request: HttpRequest) -> HttpResponse:
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"errors": {"__all__": "The body is not valid JSON."}}, status=400)
    clean, errors = _validate(payload)
    if errors:
        return JsonResponse({"errors": errors}, status=400)
    user_id = request.user.pk

    def make() -> AsyncIterator[dict[str, Any]]:
        return playground_send(user_id=user_id, **clean)

    body = _aevents(make) if isinstance(request, ASGIRequest) else _sync_events(make)
    response = StreamingHttpResponse(body, content_type="application/x-ndjson")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


@developer_required
@require_GET
def playground_stopped_view(request: HttpRequest) -> JsonResponse:
    """What the request log recorded of the caller's last stopped call to a model (route, attempts,
    timings): the event stream ends at Stop, before its "done" event would have said it."""
    # Only a call stopped within the time the page measured (plus slack for the log's writer), so an
    # earlier stopped call to the same model is never shown as this one.
    within = request.GET.get("within_ms", "")
    window_ms = min(max(int(within), 0), 120_000) + 3_000 if within.isdigit() else 120_000
    entry = request_log_latest_stopped(user_id=request.user.pk, model=request.GET.get("model", "")[:128],
                                       within=timedelta(milliseconds=window_ms))
    if entry is None:
        return JsonResponse({"found": False})
    return JsonResponse({
        "found": True, "id": entry.pk, "status": entry.status,
        "route": {"key_id": str(entry.key_id or ""), "key_name": entry.key_name, "region": entry.region,
                  "host": entry.host, "target": entry.target},
        "attempts": entry.route, "ttft_ms": entry.ttft_ms, "latency_ms": entry.latency_ms,
        "usage": ({"prompt_tokens": entry.input_tokens, "completion_tokens": entry.output_tokens}
                  if entry.input_tokens is not None or entry.output_tokens is not None else None),
    })
