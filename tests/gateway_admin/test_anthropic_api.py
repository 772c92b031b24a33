"""The anthropic SDK, pointed at the gateway with only base_url and the token changed, against the emulator.

POST /v1/messages (plain, streamed, tools, thinking) and /v1/messages/count_tokens go to Claude on
Vertex with the body as the SDK sent it (`model` out, Vertex's `anthropic_version` in, betas
filtered), come back in Anthropic's shape, fail over before the first byte, end a broken stream
with Anthropic's error event, and leave one request-log row each.
"""

from __future__ import annotations

import anthropic
import httpx
import pytest

from gateway_admin.models import RequestLog
from gateway_admin.services.request_log import request_log_flush
from tests.fixtures.native_clients import emulator_access_token

pytestmark = pytest.mark.django_db(transaction=True)

CLAUDE = "claude-sonnet-4-5"  # the demo key's alias for claude-sonnet-4-5@20250929
CLAUDE_PATH = "publishers/anthropic/models/claude-sonnet-4-5@20250929"
HELLO = [{"role": "user", "content": "Say hello"}]
WEATHER = {"name": "get_weather", "description": "Current weather for a city",
           "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


@pytest.fixture
def token(live_v1, demo_key, developer_user, api_token_factory):
    return api_token_factory(developer_user, name="sdk")


def sdk(live_v1, token, sent_requests=None, **kwargs):
    if sent_requests is not None:
        kwargs["http_client"] = sent_requests.client
    return anthropic.Anthropic(api_key=token, base_url=live_v1.url, max_retries=0, timeout=30, **kwargs)


def claude_records(vertex):
    return [r for r in vertex.requests(path_contains="publishers/anthropic/")]


def rows(**filters):
    assert request_log_flush(10)
    return list(RequestLog.objects.filter(**filters).order_by("created_at"))


def vertex_body(sent_body, *, stream=None):
    """What the gateway must send Vertex for a Messages body: the same, without model, with Vertex's version."""
    body = {k: v for k, v in sent_body.items() if k != "model"}
    body["anthropic_version"] = "vertex-2023-10-16"
    if stream is not None:
        body["stream"] = stream
    return body


def test_it_answers_messages_create_with_the_body_the_sdk_sent(live_v1, token, vertex, sent_requests,
                                                               logged_entries):
    client = sdk(live_v1, token, sent_requests)
    message = client.messages.create(model=CLAUDE, max_tokens=256, system="Be brief.", messages=HELLO,
                                     metadata={"user_id": "u-1"})
    assert message.type == "message" and message.role == "assistant"
    assert message.content[0].type == "text" and message.content[0].text
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0

    (sent,) = sent_requests.sent
    assert sent["url"] == live_v1.url + "/v1/messages"
    (record,) = claude_records(vertex)
    assert record["path"].endswith(f"/locations/us-central1/{CLAUDE_PATH}:rawPredict")
    assert record["body"] == vertex_body(sent["body"])
    assert record["headers"]["authorization"] != f"Bearer {token}"  # the gateway's own credential
    assert record["headers"]["anthropic-version"] == sent["headers"]["anthropic-version"]  # the SDK's dated version

    (row,) = rows()
    assert row.operation == "messages" and row.model == CLAUDE and row.status == 200 and not row.stream
    assert row.key.name == "demo" and row.region == "us-central1" and row.target == "claude-sonnet-4-5@20250929"
    assert row.attempts == 1 and row.failovers == 0
    assert row.input_tokens == message.usage.input_tokens and row.output_tokens == message.usage.output_tokens
    assert row.surface == "anthropic" and row.betas_dropped == []
    (entry,) = logged_entries
    assert entry.surface == "anthropic" and entry.betas_dropped == []


def test_a_bearer_token_and_anthropic_model_ids_work(live_v1, token, vertex, logged_entries):
    client = anthropic.Anthropic(auth_token=token, base_url=live_v1.url, max_retries=0)
    for name in ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5@20250929", "claude-sonnet-4-5-20250929[1m]"):
        assert client.messages.create(model=name, max_tokens=64, messages=HELLO).content[0].text
    records = claude_records(vertex)
    assert len(records) == 3 and all(CLAUDE_PATH in r["path"] for r in records)
    # `[1m]` asks for the 1M-token window: the beta Vertex needs for it is added.
    assert "context-1m-2025-08-07" not in records[0]["headers"].get("anthropic-beta", "")
    assert "context-1m-2025-08-07" in records[2]["headers"]["anthropic-beta"]
    assert [e.model for e in logged_entries] == [CLAUDE] * 3


def test_it_streams_each_event_as_vertex_sent_it(live_v1, token, vertex, sent_requests, logged_entries):
    client = sdk(live_v1, token, sent_requests)
    with client.messages.stream(model=CLAUDE, max_tokens=256, messages=[
            {"role": "user", "content": "Tell me a short story"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text and final.content[0].text == text
    assert final.usage.output_tokens > 0

    (record,) = claude_records(vertex)
    assert record["path"].endswith(f"{CLAUDE_PATH}:streamRawPredict")
    assert record["body"] == vertex_body(sent_requests.sent[0]["body"], stream=True)

    # Byte for byte: the gateway's stream is the emulator's for the same request.
    raw = live_v1.http.post("/v1/messages", headers={"x-api-key": token}, json={
        "model": CLAUDE, "max_tokens": 64, "stream": True, "messages": HELLO})
    assert raw.status_code == 200 and raw.headers["content-type"].startswith("text/event-stream")
    direct = httpx.post(
        f"{vertex.base_url}/v1/projects/{vertex.project_id}/locations/us-central1/{CLAUDE_PATH}:streamRawPredict",
        headers={"Authorization": f"Bearer {emulator_access_token(vertex)}"},
        json=vertex_body({"max_tokens": 64, "messages": HELLO}, stream=True))
    assert raw.content == direct.content
    events = [e for e in raw.text.split("\n\n") if e.strip()]
    assert events[0].startswith("event: message_start") and events[-1].startswith("event: message_stop")

    entry = logged_entries[0]
    assert entry.surface == "anthropic" and entry.stream and entry.status == 200
    assert entry.ttft_ms is not None and 0 < entry.ttft_ms <= entry.latency_ms
    assert entry.output_tokens == final.usage.output_tokens


def test_tools_and_thinking_pass_through(live_v1, token, vertex, sent_requests):
    client = sdk(live_v1, token, sent_requests)
    message = client.messages.create(
        model=CLAUDE, max_tokens=2048, tools=[WEATHER],
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[{"role": "user", "content": 'Weather in Paris? [[call:get_weather {"city": "Paris"}]]'}])
    kinds = [block.type for block in message.content]
    assert "thinking" in kinds and "tool_use" in kinds
    tool_use = next(b for b in message.content if b.type == "tool_use")
    assert tool_use.name == "get_weather" and tool_use.input == {"city": "Paris"}
    assert message.stop_reason == "tool_use"

    follow_up = client.messages.create(model=CLAUDE, max_tokens=512, tools=[WEATHER], messages=[
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in message.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use.id, "content": "Sunny, 21C"}]},
    ])
    assert follow_up.stop_reason == "end_turn"
    records = claude_records(vertex)
    assert [r["body"] for r in records] == [vertex_body(s["body"]) for s in sent_requests.sent]


def test_count_tokens_plain_and_beta(live_v1, token, vertex, logged_entries):
    client = sdk(live_v1, token)
    counted = client.messages.count_tokens(model=CLAUDE, messages=HELLO, system="Be brief.")
    beta = client.beta.messages.count_tokens(model="claude-sonnet-4-5-20250929", messages=HELLO, system="Be brief.",
                                             betas=["interleaved-thinking-2025-05-14"])
    assert counted.input_tokens > 0 and beta.input_tokens == counted.input_tokens
    records = vertex.requests(path_contains="count-tokens:rawPredict")
    assert len(records) == 2
    assert records[0]["body"] == {"model": "claude-sonnet-4-5@20250929", "messages": HELLO, "system": "Be brief.",
                                  "anthropic_version": "vertex-2023-10-16"}
    # count-tokens accepts no beta on Vertex: it is dropped, reported, and never sent.
    assert "anthropic-beta" not in records[1]["headers"]
    assert [e.operation for e in logged_entries] == ["count_tokens", "count_tokens"]
    assert "interleaved-thinking-2025-05-14" in logged_entries[1].betas_dropped


def test_betas_vertex_refuses_are_dropped_and_logged(live_v1, token, vertex, logged_entries):
    client = sdk(live_v1, token)
    message = client.beta.messages.create(
        model=CLAUDE, max_tokens=64, messages=HELLO,
        betas=["interleaved-thinking-2025-05-14", "prompt-caching-scope-2026-01-05"])
    assert message.content[0].text
    (record,) = claude_records(vertex)
    assert record["headers"]["anthropic-beta"] == "interleaved-thinking-2025-05-14"
    assert logged_entries[0].betas_dropped == ["prompt-caching-scope-2026-01-05"]
    (row,) = rows()
    assert row.surface == "anthropic" and row.betas_dropped == ["prompt-caching-scope-2026-01-05"]


def test_a_gemini_alias_answers_in_anthropic_shape(live_v1, token, vertex):
    client = sdk(live_v1, token)
    message = client.messages.create(model="gemini-2.0-flash", max_tokens=128, messages=HELLO)
    assert message.type == "message" and message.content[0].text
    assert message.usage.input_tokens > 0
    with client.messages.stream(model="gemini-2.0-flash", max_tokens=128, messages=HELLO) as stream:
        assert "".join(stream.text_stream)
    paths = [r["path"] for r in vertex.requests(path_contains="gemini-2.0-flash")]
    assert paths[0].endswith(":generateContent") and paths[1].endswith(":streamGenerateContent")


@pytest.mark.parametrize("stream", [False, True])
def test_a_429_from_the_first_region_fails_over_before_the_first_byte(live_v1, token, vertex, logged_entries,
                                                                      stream):
    vertex.add_fault(status=429, model="claude-sonnet-4-5", region="us-central1")
    client = sdk(live_v1, token)
    if stream:
        with client.messages.stream(model=CLAUDE, max_tokens=64, messages=HELLO) as s:
            assert "".join(s.text_stream)
    else:
        assert client.messages.create(model=CLAUDE, max_tokens=64, messages=HELLO).content[0].text
    regions = [r["path"].split("/locations/")[1].split("/")[0] for r in claude_records(vertex)]
    assert regions[0] == "us-central1" and regions[-1] != "us-central1"
    (entry,) = logged_entries
    assert entry.status == 200 and entry.attempts == len(regions) and entry.failovers == 1
    assert entry.region == regions[-1] and [a["region"] for a in entry.route] == regions


def test_a_stream_cut_after_the_first_byte_ends_with_an_anthropic_error_event(live_v1, token, vertex,
                                                                              logged_entries):
    vertex.add_fault(cut_after=2, model="claude-sonnet-4-5")
    raw = live_v1.http.post("/v1/messages", headers={"x-api-key": token}, json={
        "model": CLAUDE, "max_tokens": 64, "stream": True, "messages": HELLO})
    assert raw.status_code == 200
    events = [e for e in raw.text.split("\n\n") if e.strip()]
    assert events[0].startswith("event: message_start")
    assert events[-1].startswith("event: error\ndata: ")
    body = httpx.Response(200, content=events[-1].split("data: ", 1)[1]).json()
    assert body["type"] == "error" and body["error"]["type"] == "api_error" and body["error"]["message"]
    assert len(claude_records(vertex)) == 1  # never retried after the first byte

    with pytest.raises(anthropic.APIStatusError), sdk(live_v1, token).messages.stream(
            model=CLAUDE, max_tokens=64, messages=HELLO) as stream:
        "".join(stream.text_stream)
    assert logged_entries[0].status == 502 and logged_entries[0].stream


def test_bad_input_gets_anthropic_errors_and_nothing_reaches_vertex(live_v1, demo_key, developer_user,
                                                                     api_token_factory, vertex):
    with pytest.raises(anthropic.NotFoundError) as not_found:
        sdk(live_v1, api_token_factory(developer_user, name="all")).messages.create(
            model="claude-nope-9", max_tokens=64, messages=HELLO)
    assert not_found.value.body["error"]["type"] == "not_found_error"
    token = api_token_factory(developer_user, name="scoped", model_scopes=["gemini-2.0-flash"])
    client = sdk(live_v1, token)
    with pytest.raises(anthropic.PermissionDeniedError) as denied:
        client.messages.create(model=CLAUDE, max_tokens=64, messages=HELLO)
    assert denied.value.body["error"]["type"] == "permission_error"
    with pytest.raises(anthropic.PermissionDeniedError):  # scopes hold for Anthropic ids too
        client.messages.create(model="claude-sonnet-4-5-20250929", max_tokens=64, messages=HELLO)
    with pytest.raises(anthropic.AuthenticationError) as unauthenticated:
        sdk(live_v1, "vga_not-a-token").messages.create(model=CLAUDE, max_tokens=64, messages=HELLO)
    assert unauthenticated.value.body == {"type": "error", "error": {
        "type": "authentication_error", "message": unauthenticated.value.body["error"]["message"]}}

    cases = [
        (b"{not json", 400, "not valid JSON"),
        (b"[]", 400, "JSON object"),
        (b'{"model": "gemini-2.0-flash", "max_tokens": 5}', 400, "messages"),
        (b'{"model": "gemini-2.0-flash", "messages": []}', 400, "max_tokens"),
        (b'{"max_tokens": 5, "messages": []}', 400, "model"),
    ]
    for content, status, says in cases:
        answer = live_v1.http.post("/v1/messages?beta=true", content=content,
                                   headers={"x-api-key": token, "content-type": "application/json"})
        assert answer.status_code == status, content
        assert answer.json()["type"] == "error" and answer.json()["error"]["type"] == "invalid_request_error"
        assert says in answer.json()["error"]["message"]
    wrong_method = live_v1.http.get("/v1/messages", headers={"x-api-key": token})
    assert wrong_method.status_code == 405 and wrong_method.json()["type"] == "error"
    assert vertex.requests(path_contains="/publishers/") == []


def test_the_tokens_request_rate_limit_holds_with_anthropics_error(live_v1, demo_key, developer_user,
                                                                   api_token_factory, vertex):
    client = sdk(live_v1, api_token_factory(developer_user, name="slow", rpm_limit=1))
    assert client.messages.create(model=CLAUDE, max_tokens=32, messages=HELLO).content[0].text
    with pytest.raises(anthropic.RateLimitError) as limited:
        client.messages.create(model=CLAUDE, max_tokens=32, messages=HELLO)
    assert limited.value.body["error"]["type"] == "rate_limit_error"
    assert int(limited.value.response.headers["retry-after"]) >= 1
    assert len(claude_records(vertex)) == 1


def test_a_long_conversation_beyond_djangos_default_body_limit_goes_through(live_v1, token, vertex, settings):
    long_text = "word " * 700_000  # 3.5 MB: more than Django's default 2.5 MB, as a long Claude Code session
    client = sdk(live_v1, token)
    assert client.messages.create(model=CLAUDE, max_tokens=32, messages=[
        {"role": "user", "content": long_text}]).content[0].text
    settings.GATEWAY_MAX_BODY_BYTES = 1024 * 1024
    with pytest.raises(anthropic.APIStatusError) as too_large:
        client.messages.create(model=CLAUDE, max_tokens=32, messages=[{"role": "user", "content": long_text}])
    assert too_large.value.status_code == 413
    assert too_large.value.body["error"]["type"] == "request_too_large"
    assert len(claude_records(vertex)) == 1


def test_bodies_are_logged_only_for_tokens_that_ask_for_it(live_v1, demo_key, developer_user, api_token_factory,
                                                           vertex):
    logged = sdk(live_v1, api_token_factory(developer_user, name="logged", log_bodies=True))
    with logged.messages.stream(model=CLAUDE, max_tokens=64, messages=HELLO) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    plain = sdk(live_v1, api_token_factory(developer_user, name="plain"))
    plain.messages.create(model=CLAUDE, max_tokens=64, messages=HELLO)
    (row,) = rows(token__name="logged")
    assert row.request_body["messages"] == HELLO
    assert row.response_body["content"][0]["text"] == text and row.response_body["stop_reason"] == final.stop_reason
    (row,) = rows(token__name="plain")
    assert row.request_body is None and row.response_body is None
