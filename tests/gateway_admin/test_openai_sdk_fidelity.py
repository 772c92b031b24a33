"""Answer fidelity through the official openai SDK against a live server: the details real clients
read (timestamps, ids, statuses, choices, tool-call extras) match what OpenAI sends."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

GEMINI = "gemini-2.0-flash"
CLAUDE = "claude-sonnet-4-5"
THINKING = {"gemini-2.5-flash": "gemini-2.5-flash", "gemini-3-pro": "gemini-3-pro-preview"}
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
FORCED = {"type": "function", "function": {"name": "get_weather"}}


@pytest.fixture
def client(live_v1, demo_key, developer_user, api_token_factory):
    return live_v1.openai(api_token_factory(developer_user))


@pytest.fixture
def thinking_key(db, emulator_settings, emulator, admin_user):
    """A second emulator key carrying Gemini thinking models (2.5, and 3 which enforces signatures)."""
    from gateway_admin.services.keys import key_create

    key, _ = key_create(actor=admin_user, name="thinking", config={
        "project_id": emulator.project_id, "region": "us-central1",
        "auth_credentials": emulator.service_account_json, "deployments": dict(THINKING)})
    return key


def sse_frames(live_v1, client, path: str, body: dict) -> list[dict]:
    """The JSON of each `data:` frame of a stream, as sent (the SDK turns integers into floats
    where its types say float, so the wire is read directly)."""
    headers = {"Authorization": f"Bearer {client.api_key}"}
    with live_v1.http.stream("POST", path, headers=headers, json={**body, "stream": True}) as response:
        assert response.status_code == 200, response.read()
        return [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: {")]


@pytest.mark.parametrize("model", [GEMINI, CLAUDE])
def test_responses_timestamps_are_integers(client, live_v1, vertex, model):
    raw = client.responses.with_raw_response.create(model=model, input="Say hello").http_response.json()
    assert type(raw["created_at"]) is int and type(raw["completed_at"]) is int
    events = sse_frames(live_v1, client, "/v1/responses", {"model": model, "input": "Say hello"})
    assert events[0]["type"] == "response.created" and type(events[0]["response"]["created_at"]) is int
    assert events[-1]["type"] == "response.completed"
    assert type(events[-1]["response"]["created_at"]) is int and type(events[-1]["response"]["completed_at"]) is int


@pytest.mark.parametrize("model", [GEMINI, CLAUDE])
def test_a_response_cut_by_max_output_tokens_is_incomplete_down_to_its_message(client, live_v1, vertex, model):
    ask = {"model": model, "input": "Tell me a long story about the sea", "max_output_tokens": 16}
    response = client.responses.create(**ask)
    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.output[-1].type == "message" and response.output[-1].status == "incomplete"
    assert response.output_text

    events = sse_frames(live_v1, client, "/v1/responses", ask)
    assert events[-1]["type"] == "response.incomplete"
    final = events[-1]["response"]
    assert final["status"] == "incomplete" and final["incomplete_details"] == {"reason": "max_output_tokens"}
    assert final["output"][-1]["type"] == "message" and final["output"][-1]["status"] == "incomplete"
    (message_done,) = [e for e in events if e["type"] == "response.output_item.done" and e["item"]["type"] == "message"]
    assert message_done["item"]["status"] == "incomplete"


@pytest.mark.parametrize("model", [GEMINI, CLAUDE])
def test_one_id_scheme_per_surface_streamed_or_not(client, vertex, model):
    ask = {"model": model, "messages": [{"role": "user", "content": "Say hello"}]}
    assert client.chat.completions.create(**ask).id.startswith("chatcmpl-")
    assert {chunk.id[:9] for chunk in client.chat.completions.create(**ask, stream=True)} == {"chatcmpl-"}
    assert client.responses.create(model=model, input="Say hello").id.startswith("resp_")
    events = list(client.responses.create(model=model, input="Say hello", stream=True))
    assert {e.response.id[:5] for e in events if hasattr(e, "response")} == {"resp_"}


def test_gemini_answers_n_choices_streamed_or_not(client, vertex):
    ask = {"model": GEMINI, "messages": [{"role": "user", "content": "Tell me about lighthouses"}], "n": 2}
    completion = client.chat.completions.create(**ask)
    assert [c.index for c in completion.choices] == [0, 1]
    assert all(c.message.content and c.finish_reason == "stop" for c in completion.choices)
    (sent,) = vertex.requests(path_contains=":generateContent")
    assert sent["body"]["generationConfig"]["candidateCount"] == 2

    texts: dict[int, str] = {}
    finishes: dict[int, str] = {}
    for chunk in client.chat.completions.create(**ask, stream=True):
        for choice in chunk.choices:
            texts[choice.index] = texts.get(choice.index, "") + (choice.delta.content or "")
            if choice.finish_reason:
                finishes[choice.index] = choice.finish_reason
    assert sorted(texts) == [0, 1] and all(text.strip() for text in texts.values())
    assert finishes == {0: "stop", 1: "stop"}


def _tool_round(client, model: str, assistant: dict, call_id: str):
    return client.chat.completions.create(model=model, tools=[WEATHER_TOOL], messages=[
        {"role": "user", "content": "What is the weather in Oslo?"}, assistant,
        {"role": "tool", "tool_call_id": call_id, "content": json.dumps({"temp_c": 4})}])


def _sent_signature(vertex, target: str) -> str | None:
    body = vertex.requests(path_contains=f"{target}:generateContent")[-1]["body"]
    (part,) = body["contents"][1]["parts"]
    return part.get("thoughtSignature")


@pytest.mark.parametrize("model", list(THINKING))
def test_gemini_s_thought_signature_survives_a_tool_round_trip(client, vertex, thinking_key, model):
    first = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "What is the weather in Oslo?"}],
        tools=[WEATHER_TOOL], tool_choice=FORCED)
    message = first.choices[0].message
    (call,) = message.tool_calls
    signature = call.model_dump()["extra_content"]["google"]["thought_signature"]  # Google's OpenAI shape
    assert signature

    second = _tool_round(client, model, message.model_dump(exclude_none=True), call.id)

    assert second.choices[0].finish_reason == "stop" and second.choices[0].message.content
    assert _sent_signature(vertex, THINKING[model]) == signature


def test_a_streamed_tool_call_carries_its_signature_into_the_next_turn(client, vertex, thinking_key):
    deltas = [tc.model_dump() for chunk in client.chat.completions.create(
        model="gemini-3-pro", messages=[{"role": "user", "content": "What is the weather in Oslo?"}],
        tools=[WEATHER_TOOL], tool_choice=FORCED, stream=True)
        for choice in chunk.choices for tc in choice.delta.tool_calls or []]
    (head,) = [d for d in deltas if d.get("id")]
    signature = head["extra_content"]["google"]["thought_signature"]
    assistant = {"role": "assistant", "tool_calls": [{
        "id": head["id"], "type": "function", "extra_content": head["extra_content"],
        "function": {"name": head["function"]["name"],
                     "arguments": "".join(d["function"]["arguments"] or "" for d in deltas)}}]}

    second = _tool_round(client, "gemini-3-pro", assistant, head["id"])

    assert second.choices[0].message.content
    assert _sent_signature(vertex, "gemini-3-pro-preview") == signature


def test_gemini_3_refuses_a_tool_result_turn_that_dropped_the_signature(client, vertex, thinking_key):
    import openai

    first = client.chat.completions.create(
        model="gemini-3-pro", messages=[{"role": "user", "content": "What is the weather in Oslo?"}],
        tools=[WEATHER_TOOL], tool_choice=FORCED)
    (call,) = first.choices[0].message.tool_calls
    bare = {"role": "assistant", "tool_calls": [{"id": "call_plain", "type": "function",
                                                  "function": call.function.model_dump()}]}

    with pytest.raises(openai.BadRequestError) as refused:
        _tool_round(client, "gemini-3-pro", bare, "call_plain")

    assert "thought_signature" in refused.value.message
