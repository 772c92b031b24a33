"""The emulator refuses anthropic-beta values as Vertex does, and calls tools only on an explicit trigger."""

from __future__ import annotations

import pytest

from routing.emulator.text import tool_marker
from tests.routing.emulator.conftest import vertex_path

SONNET = "claude-sonnet-4-5@20250929"
CLAUDE = vertex_path(SONNET, "rawPredict", region="global", publisher="anthropic")
CLAUDE_STREAM = vertex_path(SONNET, "streamRawPredict", region="global", publisher="anthropic")
COUNT = vertex_path("count-tokens", "rawPredict", region="global", publisher="anthropic")
GEMINI = vertex_path("gemini-2.0-flash", "generateContent")
MAAS = "/v1/projects/demo-project/locations/us-central1/endpoints/openapi/chat/completions"
BODY = {"anthropic_version": "vertex-2023-10-16", "max_tokens": 256, "messages": [{"role": "user", "content": "hi"}]}
# Claude Code's system prompt names its tools; the emulator once ran one because of it.
SYSTEM = "You are Claude Code. Use the Bash tool to run commands and the Agent tool for research."
TOOLS = [{"name": "Bash", "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}},
         {"name": "Agent", "input_schema": {"type": "object", "properties": {"prompt": {"type": "string"}}}}]


def test_a_refused_beta_gets_vertexs_400_naming_the_values(vertex, api):
    response = api.post(CLAUDE, json=BODY, headers={
        "anthropic-beta": "interleaved-thinking-2025-05-14,prompt-caching-scope-2026-01-05,brand-new-2030-01-01"})

    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"].startswith(
        "Unexpected value(s) `prompt-caching-scope-2026-01-05`, `brand-new-2030-01-01` for the `anthropic-beta` header.")
    assert body["request_id"].startswith("req_vrtx_")


def test_accepted_betas_pass_on_both_model_routes(vertex, api):
    headers = {"anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14,context-1m-2025-08-07"}
    assert api.post(CLAUDE, json=BODY, headers=headers).status_code == 200
    assert api.post(CLAUDE_STREAM, json={**BODY, "stream": True}, headers=headers).status_code == 200


def test_count_tokens_refuses_a_beta_the_model_routes_accept(vertex, api):
    headers = {"anthropic-beta": "web-search-2025-03-05"}
    count = {**BODY, "model": SONNET}
    del count["max_tokens"]

    assert api.post(CLAUDE, json=BODY, headers=headers).status_code == 200
    refused = api.post(COUNT, json=count, headers=headers)
    assert refused.status_code == 400 and "`web-search-2025-03-05`" in refused.json()["error"]["message"]
    assert api.post(COUNT, json=count).json()["input_tokens"] > 0


def test_the_control_api_overrides_what_a_route_accepts(vertex, api):
    vertex.set_beta("brand-new-2030-01-01", "messages", True)
    vertex.set_beta("context-1m-2025-08-07", "messages", False)

    assert api.post(CLAUDE, json=BODY, headers={"anthropic-beta": "brand-new-2030-01-01"}).status_code == 200
    assert api.post(CLAUDE, json=BODY, headers={"anthropic-beta": "context-1m-2025-08-07"}).status_code == 400
    vertex.reset()
    assert api.post(CLAUDE, json=BODY, headers={"anthropic-beta": "context-1m-2025-08-07"}).status_code == 200


def test_gemini_count_tokens_answers(vertex, api):
    path = vertex_path("gemini-2.0-flash", "countTokens")
    body = api.post(path, json={"contents": [{"role": "user", "parts": [{"text": "one two three"}]}]}).json()
    assert body["totalTokens"] >= 3


def test_claude_does_not_call_a_tool_because_the_prompt_names_it(vertex, api):
    message = api.post(CLAUDE, json={**BODY, "system": SYSTEM, "tools": TOOLS, "messages": [
        {"role": "user", "content": "Use Bash to list files, then ask the Agent. What is the weather?"}]}).json()

    assert message["stop_reason"] == "end_turn"
    assert [b["type"] for b in message["content"]] == ["text"]


def test_claude_calls_the_tool_the_marker_names_with_the_marker_arguments(vertex, api):
    message = api.post(CLAUDE, json={**BODY, "system": SYSTEM, "tools": TOOLS, "messages": [
        {"role": "user", "content": 'List files [[call:Bash {"command": "ls -la"}]]'}]}).json()

    assert message["stop_reason"] == "tool_use"
    use = message["content"][-1]
    assert use["type"] == "tool_use" and use["name"] == "Bash" and use["input"] == {"command": "ls -la"}


def test_a_marker_in_an_earlier_turn_does_not_call_again(vertex, api):
    message = api.post(CLAUDE, json={**BODY, "tools": TOOLS, "messages": [
        {"role": "user", "content": "[[call:Bash]]"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "a.txt"}]}]}).json()
    assert message["stop_reason"] == "end_turn"


def test_a_forced_tool_choice_still_calls_a_tool(vertex, api):
    message = api.post(CLAUDE, json={**BODY, "tools": TOOLS, "tool_choice": {"type": "tool", "name": "Agent"}}).json()
    assert message["content"][-1]["name"] == "Agent"


def test_gemini_calls_a_function_only_on_the_marker(vertex, api):
    tools = [{"functionDeclarations": [{"name": "get_weather", "parameters": {
        "type": "OBJECT", "properties": {"city": {"type": "STRING"}}}}]}]
    named = api.post(GEMINI, json={"contents": [{"role": "user", "parts": [{"text": "get_weather in Oslo"}]}],
                                   "tools": tools}).json()
    marked = api.post(GEMINI, json={"contents": [{"role": "user", "parts": [
        {"text": 'Oslo? [[call:get_weather {"city": "Oslo"}]]'}]}], "tools": tools}).json()

    assert "functionCall" not in named["candidates"][0]["content"]["parts"][0]
    assert marked["candidates"][0]["content"]["parts"][0]["functionCall"] == {
        "name": "get_weather", "args": {"city": "Oslo"}}


def test_partner_chat_calls_a_tool_only_on_the_marker(vertex, api):
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    body = {"model": "meta/llama-3.3-70b-instruct-maas", "tools": tools}
    named = api.post(MAAS, json={**body, "messages": [{"role": "user", "content": "get_weather for Rome"}]}).json()
    marked = api.post(MAAS, json={**body, "messages": [{"role": "user", "content": "Rome [[call:get_weather]]"}]}).json()

    assert named["choices"][0]["finish_reason"] == "stop"
    assert marked["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "get_weather"


@pytest.mark.parametrize(("text", "expected"), [
    ("[[call:Bash]]", ("Bash", None)),
    ('go [[call:Bash {"command": "ls", "n": {"deep": [1]}}]] now', ("Bash", {"command": "ls", "n": {"deep": [1]}})),
    ("[[call:Bash {not json}]] then [[call:Agent]]", ("Agent", None)),
    ("call Bash please", None), ("[[call:]]", None), ('[[call:Bash ["a"]]]', None),
])
def test_the_marker_is_parsed_strictly(text, expected):
    assert tool_marker(text) == expected
