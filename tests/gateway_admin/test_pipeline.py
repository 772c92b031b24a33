"""The one call pipeline: every surface leaves the same request-log entry, the routing state is
shared and follows configuration changes, and the VERTEX_* timeouts take effect."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest
from django.urls import reverse

from gateway_admin import pipeline, routing_config
from gateway_admin.models import RequestLog
from gateway_admin.pipeline import Caller, GatewayCall, GatewayError
from gateway_admin.services.request_log import request_log_flush

pytestmark = pytest.mark.django_db(transaction=True)

PROMPT = [{"role": "user", "content": "Say hello"}]
# What must not differ between two calls of the same prompt, whatever the surface.
SHARED_FIELDS = ("operation", "model", "key_id", "key_name", "region", "host", "target", "stream", "status",
                 "error_type", "input_tokens", "output_tokens", "attempts", "failovers")


def _rows() -> list[RequestLog]:
    assert request_log_flush(10)
    return list(RequestLog.objects.order_by("created_at"))


def test_the_playground_and_v1_leave_the_same_request_log_fields(live_v1, demo_key, developer_user,
                                                                 developer_client, api_token_factory):
    body = {"model": "gemini-2.0-flash", "messages": PROMPT, "stream": True, "key_id": demo_key.pk}
    response = developer_client.post(reverse("playground-send"), data=json.dumps(body),
                                     content_type="application/json")
    assert b'"event":"done"' in b"".join(response.streaming_content)
    client = live_v1.openai(api_token_factory(developer_user))
    list(client.chat.completions.create(model="gemini-2.0-flash", messages=PROMPT, stream=True,
                                        stream_options={"include_usage": True}))

    playground, api = _rows()
    assert (playground.source, api.source) == ("playground", "api")
    assert {f: getattr(playground, f) for f in SHARED_FIELDS} == {f: getattr(api, f) for f in SHARED_FIELDS}
    assert playground.user == api.user == developer_user
    for row in (playground, api):
        assert row.input_tokens and row.output_tokens
        assert 0 < row.ttft_ms <= row.latency_ms
        assert [set(a) for a in row.route] == [{"key_id", "key_name", "region", "host", "target", "status",
                                                "error", "latency_ms", "failover"}]


def test_a_configuration_change_reaches_the_next_call_in_this_process(demo_key, admin_user, developer_user):
    from gateway_admin.services.keys import key_update

    async def models() -> set[str]:
        return {m["id"] for m in await pipeline.models_for(None)}

    pipeline.reset()
    before = asyncio.run(models())
    assert "gemini-2.0-flash" in before and "added-later" not in before
    key_update(actor=admin_user, key=demo_key, config={"deployments": {"added-later": "gemini-2.0-flash"}},
               partial=True)
    after = asyncio.run(models())
    assert "added-later" in after
    # The routing state is one per process: a second call reuses it (same Router instance).
    first = asyncio.run(pipeline.gateway_state())
    assert asyncio.run(pipeline.gateway_state()).router is first.router


def test_scope_is_checked_before_existence_and_nothing_is_recorded_twice(demo_key, developer_user,
                                                                         api_token_factory):
    from gateway_admin.services.tokens import _info

    raw = api_token_factory(developer_user, model_scopes=["gemini-2.0-flash"])
    token = _info(raw)
    assert token is not None
    call = GatewayCall(surface="openai", operation="chat", caller=Caller.of_token(token))
    with pytest.raises(GatewayError) as refused:
        asyncio.run(call.resolve("no-such-model"))
    assert (refused.value.status, refused.value.code) == (403, "model_not_allowed")
    call.fail(refused.value)
    call.fail(RuntimeError("a second outcome is ignored"))
    (row,) = _rows()
    assert (row.status, row.error_type, row.token_id) == (403, "model_not_allowed", token.id)


def _slow_call(settings, vertex, **fault):
    """One non-streaming chat through the pipeline's router with `fault` on its first attempt."""
    vertex.add_fault(model="gemini-2.0-flash", region="us-central1", times=1, **fault)
    pipeline.reset()

    async def send():
        state = await pipeline.gateway_state()
        started = time.perf_counter()
        result = await state.router.chat({"model": "gemini-2.0-flash", "messages": PROMPT})
        return result, time.perf_counter() - started

    return asyncio.run(send())


def test_the_read_timeout_setting_ends_a_slow_attempt_and_the_call_moves_on(demo_key, settings, vertex):
    settings.VERTEX_TIMEOUT_SECONDS = 1
    result, elapsed = _slow_call(settings, vertex, delay_ms=5000)
    first, *rest = result.attempts
    assert first.status is None and "within 1 s" in first.error
    assert 0.9 < first.latency_ms / 1000 < 2.5
    assert rest and rest[-1].status == 200
    assert elapsed < 4.5  # not the emulator's 5 s


def test_the_connect_timeout_setting_ends_an_attempt_that_cannot_connect(demo_key, settings, vertex):
    # A listening socket whose accept queue is full: the kernel drops further SYNs, so connecting
    # hangs, as it does to a host that does not answer.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    port = listener.getsockname()[1]
    for _ in range(4):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        fillers.append(s)
    settings.VERTEX_CONNECT_TIMEOUT_SECONDS = 0.5
    settings.VERTEX_BASE_URL = f"http://127.0.0.1:{port}"
    pipeline.reset()

    async def send():
        state = await pipeline.gateway_state()
        started = time.perf_counter()
        with pytest.raises(Exception) as failed:
            await state.router.chat({"model": "gemini-2.0-flash", "messages": PROMPT})
        return failed.value, time.perf_counter() - started

    try:
        error, elapsed = asyncio.run(send())
    finally:
        for s in fillers:
            s.close()
        listener.close()
    assert "0.5 s to connect" in error.user_message
    attempts = error.attempts
    assert attempts and all(a.status is None for a in attempts)
    assert all(a.latency_ms < 1500 for a in attempts)
    assert elapsed < 0.5 * len(attempts) + 5  # backoff between attempts, never the 10 s default


def test_routing_config_applies_the_transport_settings(settings):
    from routing import transport

    before = transport.settings()
    settings.VERTEX_MAX_CONNECTIONS = 77
    settings.VERTEX_KEEPALIVE_SECONDS = 7.5
    settings.VERTEX_TIMEOUT_SECONDS = 33
    settings.VERTEX_CONNECT_TIMEOUT_SECONDS = 4
    try:
        routing_config.configure_transport()
        now = transport.settings()
        assert (now.max_connections, now.keepalive_expiry, now.read_timeout, now.connect_timeout) == (
            77, 7.5, 33, 4)
    finally:
        transport.configure(max_connections=before.max_connections, keepalive_expiry=before.keepalive_expiry,
                            read_timeout=before.read_timeout, connect_timeout=before.connect_timeout)
