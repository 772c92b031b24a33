"""Raw wire checks: tuned endpoints, token limits, follow-up turns and the 400s Vertex gives for bad bodies."""

from __future__ import annotations

import json

import pytest

from tests.routing.emulator.conftest import vertex_path

CLAUDE = vertex_path("claude-sonnet-4-5@20250929", "rawPredict", region="us-east5", publisher="anthropic")
CLAUDE_BODY = {"anthropic_version": "vertex-2023-10-16", "max_tokens": 256, "messages": [{"role": "user", "content": "hi"}]}
GEMINI = vertex_path("gemini-2.0-flash", "generateContent")


def _user(text: str) -> dict:
    return {"role": "user", "parts": [{"text": text}]}


def test_a_tuned_endpoint_answers_generate_content(vertex, api):
    path = "/v1/projects/123456789012/locations/us-central1/endpoints/1234567890:generateContent"
    body = api.post(path, json={"contents": [_user("Classify this claim")]}).json()
    assert body["candidates"][0]["content"]["parts"][0]["text"]
    assert body["usageMetadata"]["promptTokenCount"] == 4


def test_a_tuned_endpoint_streams(vertex, api):
    path = "/v1/projects/demo-project/locations/us-central1/endpoints/1234567890:streamGenerateContent?alt=sse"
    with api.stream("POST", path, json={"contents": [_user("Classify this claim")]}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1]["candidates"][0]["finishReason"] == "STOP"


def test_max_output_tokens_cuts_the_answer_with_max_tokens(vertex, api):
    body = api.post(GEMINI, json={"contents": [_user("Tell me about oceans")], "generationConfig": {"maxOutputTokens": 10}}).json()
    assert body["candidates"][0]["finishReason"] == "MAX_TOKENS"
    assert body["usageMetadata"]["candidatesTokenCount"] <= 10


def test_a_function_response_turn_gets_a_text_answer(vertex, api):
    tools = [{"functionDeclarations": [{"name": "get_weather", "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}}}]}]
    contents = [
        _user("What's the weather in Oslo?"),
        {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"temp_c": 4}}}]},
    ]
    body = api.post(GEMINI, json={"contents": contents, "tools": tools}).json()
    parts = body["candidates"][0]["content"]["parts"]
    assert "text" in parts[0] and "functionCall" not in parts[0]


def test_function_calling_mode_none_never_calls(vertex, api):
    tools = [{"functionDeclarations": [{"name": "get_weather"}]}]
    body = api.post(GEMINI, json={
        "contents": [_user("weather please")], "tools": tools,
        "toolConfig": {"functionCallingConfig": {"mode": "NONE"}},
    }).json()
    assert "text" in body["candidates"][0]["content"]["parts"][0]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"contents": []}, "at least one contents field"),
        ({"contents": [{"role": "user", "parts": []}]}, "empty parts"),
        ({"contents": [{"role": "robot", "parts": [{"text": "x"}]}]}, "valid role"),
    ],
)
def test_bad_gemini_bodies_are_invalid_argument(vertex, api, body, message):
    response = api.post(GEMINI, json=body)
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert message in response.json()["error"]["message"]


def test_a_body_that_is_not_json_is_invalid_argument(vertex, api):
    response = api.post(GEMINI, content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("Invalid JSON payload")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model": "claude-sonnet-4-5@20250929"}, "model: Extra inputs are not permitted"),
        ({"anthropic_version": None}, "anthropic_version: Field required"),
        ({"anthropic_version": "bedrock-2023-05-31"}, "anthropic_version: Input should be 'vertex-2023-10-16'"),
        ({"max_tokens": None}, "max_tokens: Field required"),
        ({"messages": []}, "messages"),
        ({"thinking": {"type": "enabled", "budget_tokens": 1024}}, "`max_tokens` must be greater"),
    ],
)
def test_claude_bodies_vertex_rejects_get_anthropic_400s(vertex, api, change, message):
    body = {**CLAUDE_BODY, **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = api.post(CLAUDE, json=body)
    assert response.status_code == 400
    assert response.json()["type"] == "error"
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert message in response.json()["error"]["message"]


def test_the_claude_stream_is_the_full_anthropic_event_sequence(vertex, api):
    path = CLAUDE.replace(":rawPredict", ":streamRawPredict")
    with api.stream("POST", path, json={**CLAUDE_BODY, "stream": True}) as response:
        names = [line[7:] for line in response.iter_lines() if line.startswith("event: ")]
    assert names[:3] == ["message_start", "ping", "content_block_start"]
    assert set(names[3:-3]) == {"content_block_delta"}
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]


def test_claude_count_tokens_follows_the_text(vertex, api):
    path = "/v1/projects/demo-project/locations/us-east5/publishers/anthropic/models/count-tokens:rawPredict"
    short = api.post(path, json={**CLAUDE_BODY, "model": "claude-sonnet-4-5@20250929"}).json()["input_tokens"]
    long = api.post(path, json={**CLAUDE_BODY, "model": "claude-sonnet-4-5@20250929",
                                "messages": [{"role": "user", "content": "word " * 100}]}).json()["input_tokens"]
    assert long - short == 130 - 2  # 100 words at 1.3 tokens, against "hi"


def test_stream_generate_content_without_alt_sse_answers_a_json_array(vertex, api):
    path = vertex_path("gemini-2.0-flash", "streamGenerateContent")
    response = api.post(path, json={"contents": [_user("Tell me about deserts")]})
    chunks = response.json()
    assert isinstance(chunks, list) and len(chunks) >= 2
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
