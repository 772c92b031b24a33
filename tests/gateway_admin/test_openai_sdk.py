"""The official openai SDK, pointed at a live server with an API token, against the emulator.

Each call must come back in the shape OpenAI itself answers with: the SDK parses it into its own
types, and the fields a client reads are there and typed.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

GEMINI = "gemini-2.0-flash"
CLAUDE = "claude-sonnet-4-5"
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture
def client(live_v1, demo_key, media_key, developer_user, api_token_factory):
    return live_v1.openai(api_token_factory(developer_user))


@pytest.mark.parametrize("model", [GEMINI, CLAUDE])
def test_it_answers_a_chat_completion(client, vertex, model):
    completion = client.chat.completions.create(
        model=model, messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello"}]
    )
    assert completion.object == "chat.completion"
    assert completion.id
    assert completion.model == model
    assert isinstance(completion.created, int)
    choice = completion.choices[0]
    assert choice.index == 0
    assert choice.message.role == "assistant"
    assert isinstance(choice.message.content, str) and choice.message.content
    assert choice.finish_reason == "stop"
    assert completion.usage.prompt_tokens > 0
    assert completion.usage.completion_tokens > 0
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens


@pytest.mark.parametrize("model", [GEMINI, CLAUDE])
def test_it_streams_a_chat_completion_chunk_by_chunk(client, vertex, model):
    stream = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Tell me a short story"}], stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert len(chunks) >= 3
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip()
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    usage = [c.usage for c in chunks if c.usage]
    assert usage and usage[-1].completion_tokens > 0 and usage[-1].prompt_tokens > 0


@pytest.mark.parametrize("model", [GEMINI, CLAUDE])
def test_it_returns_tool_calls_and_accepts_the_tool_result(client, vertex, model):
    messages = [{"role": "user", "content": "What is the weather in Paris? [[call:get_weather]]"}]
    first = client.chat.completions.create(model=model, messages=messages, tools=[WEATHER_TOOL])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.type == "function"
    assert call.id
    assert call.function.name == "get_weather"
    assert isinstance(json.loads(call.function.arguments), dict)

    messages += [
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"temperature_c": 21})},
    ]
    second = client.chat.completions.create(model=model, messages=messages, tools=[WEATHER_TOOL])
    assert second.choices[0].finish_reason == "stop"
    assert second.choices[0].message.content


def test_it_streams_tool_calls(client, vertex):
    stream = client.chat.completions.create(
        model=CLAUDE, messages=[{"role": "user", "content": "weather in Oslo? [[call:get_weather]]"}], tools=[WEATHER_TOOL], stream=True
    )
    calls = [tc for c in stream if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert calls[0].function.name == "get_weather"
    arguments = "".join(tc.function.arguments or "" for tc in calls)
    assert isinstance(json.loads(arguments), dict)


@pytest.mark.parametrize("model", [GEMINI, CLAUDE])
def test_it_answers_the_responses_api(client, vertex, model):
    response = client.responses.create(model=model, input="Say hello", instructions="Be brief.")
    assert response.object == "response"
    assert response.status == "completed"
    assert response.model == model
    assert response.output_text
    assert response.output[0].type == "message"
    assert response.usage.input_tokens > 0 and response.usage.output_tokens > 0


@pytest.mark.parametrize("model", [GEMINI, CLAUDE])
def test_it_streams_the_responses_api_as_typed_events(client, vertex, model):
    events = list(client.responses.create(model=model, input="Tell me a story", stream=True))
    types = [e.type for e in events]
    assert types[0] == "response.created"
    assert types[-1] == "response.completed"
    assert "response.output_text.delta" in types
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == events[-1].response.output_text


def test_it_returns_embeddings_in_base64_as_the_sdk_asks_and_as_floats(client, vertex):
    # The SDK asks for base64 by default and decodes it itself.
    result = client.embeddings.create(model="text-embedding-005", input=["hello", "world"])
    assert result.object == "list"
    assert [d.index for d in result.data] == [0, 1]
    assert all(d.object == "embedding" for d in result.data)
    assert len(result.data[0].embedding) == 768
    assert result.data[0].embedding != result.data[1].embedding
    floats = client.embeddings.create(model="text-embedding-005", input="hello", encoding_format="float",
                                      dimensions=64)
    assert len(floats.data[0].embedding) == 64
    assert result.usage.prompt_tokens > 0
    # Same text, same vector (the emulator is deterministic), whichever encoding carried it.
    again = client.embeddings.create(model="text-embedding-005", input="hello", encoding_format="float")
    assert again.data[0].embedding == pytest.approx(result.data[0].embedding, rel=1e-6)


def test_it_lists_and_retrieves_models(client, vertex):
    models = client.models.list()
    ids = [m.id for m in models.data]
    assert {GEMINI, CLAUDE, "claude-3-5-haiku", "text-embedding-005"} <= set(ids)
    assert all(m.object == "model" and m.owned_by and isinstance(m.created, int) for m in models.data)
    owners = {m.id: m.owned_by for m in models.data}
    assert (owners[GEMINI], owners[CLAUDE]) == ("google", "anthropic")
    assert client.models.retrieve(GEMINI).id == GEMINI


def test_it_accepts_the_vertex_prefix_of_the_seed_gateway(client, vertex):
    completion = client.chat.completions.create(
        model=f"vertex/{CLAUDE}", messages=[{"role": "user", "content": "hi"}]
    )
    assert completion.model == CLAUDE
    assert completion.choices[0].message.content
    assert vertex.requests(":rawPredict")


def test_it_routes_claude_3_5_haiku_to_its_region_override(client, vertex):
    client.chat.completions.create(model="claude-3-5-haiku", messages=[{"role": "user", "content": "hi"}])
    (sent,) = vertex.requests("claude-3-5-haiku")
    assert "/locations/us-east5/" in sent["path"]


@pytest.mark.parametrize("model", [GEMINI, CLAUDE])
def test_answers_pass_the_sdk_s_strict_validation(client, live_v1, vertex, model):
    """The SDK builds its objects leniently; pydantic's model_validate checks every required field and type."""
    from openai.types import CreateEmbeddingResponse, Model
    from openai.types.chat import ChatCompletion, ChatCompletionChunk

    raw = client.chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": "weather in Rome? [[call:get_weather]]"}], tools=[WEATHER_TOOL])
    ChatCompletion.model_validate(raw.http_response.json())
    headers = {"Authorization": f"Bearer {client.api_key}"}
    with live_v1.http.stream("POST", "/v1/chat/completions", headers=headers, json={
            "model": model, "messages": [{"role": "user", "content": "hi"}], "stream": True,
            "stream_options": {"include_usage": True}}) as response:
        frames = [line[6:] for line in response.iter_lines() if line.startswith("data: {")]
    assert frames
    for frame in frames:
        ChatCompletionChunk.model_validate(json.loads(frame))
    embeddings = live_v1.http.post("/v1/embeddings", headers=headers,
                                   json={"model": "text-embedding-005", "input": ["a", "b"]}).json()
    CreateEmbeddingResponse.model_validate(embeddings)
    for item in live_v1.http.get("/v1/models", headers=headers).json()["data"]:
        Model.model_validate(item)


@pytest.mark.parametrize("model", [GEMINI, CLAUDE])
def test_responses_pass_the_sdk_s_strict_validation(client, vertex, model):
    from openai.types.responses import Response

    raw = client.responses.with_raw_response.create(model=model, input="Say hello")
    Response.model_validate(raw.http_response.json())
