"""Every family through the Router over real HTTP to the emulator: answers, streams, tools, JSON, embeddings."""

from __future__ import annotations

import json

import pytest

from tests.routing.integration.conftest import make_key

DEPLOYMENTS = {
    "flash": "gemini-2.0-flash",
    "sonnet": "claude-sonnet-4-5@20250929",
    "mistral": "mistral-small-2503",
    "llama": "meta/llama-3.3-70b-instruct-maas",
    "tuned": "1234567890",
    "embed": "text-embedding-005",
}

# alias -> (path the emulator must see, family)
FAMILIES = {
    "flash": ("publishers/google/models/gemini-2.0-flash:generateContent", "gemini"),
    "sonnet": ("publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict", "anthropic"),
    "mistral": ("publishers/mistralai/models/mistral-small-2503:rawPredict", "mistral"),
    "llama": ("endpoints/openapi/chat/completions", "openai_compat"),
    "tuned": ("endpoints/1234567890:generateContent", "tuned"),
}
STREAM_PATHS = {
    "flash": "publishers/google/models/gemini-2.0-flash:streamGenerateContent",
    "sonnet": "publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict",
    "mistral": "publishers/mistralai/models/mistral-small-2503:streamRawPredict",
    "llama": "endpoints/openapi/chat/completions",
    "tuned": "endpoints/1234567890:streamGenerateContent",
}
LOCATION = "/v1/projects/demo-project/locations/us-central1/"

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture
def router(vertex, router_for):
    return router_for(make_key(vertex, deployments=DEPLOYMENTS))


def ask(alias: str, text: str = "Say hello in one sentence.", **extra) -> dict:
    return {"model": alias, "messages": [{"role": "system", "content": "Be brief."},
                                         {"role": "user", "content": text}], **extra}


@pytest.mark.parametrize("alias", list(FAMILIES))
async def test_each_family_answers_a_chat_completion_over_its_vertex_path(vertex, router, alias):
    result = await router.chat(ask(alias, max_tokens=200))

    path, family = FAMILIES[alias]
    answer = result.response
    assert answer["object"] == "chat.completion"
    assert answer["model"] == alias
    assert answer["choices"][0]["message"]["content"]
    assert answer["choices"][0]["finish_reason"] in ("stop", "length")
    assert result.usage and result.usage["total_tokens"] > 0
    assert (result.family, result.region, result.key_id) == (family, "us-central1", "k1")
    assert [a.status for a in result.attempts] == [200]
    seen = vertex.requests(path_contains=path)
    assert len(seen) == 1 and seen[0]["path"] == LOCATION + path
    assert seen[0]["headers"]["authorization"].startswith("Bearer ")
    assert result.wire_request["url"].endswith(LOCATION + path)
    assert result.wire_request["headers"]["Authorization"] == "Bearer [redacted]"
    assert result.wire_response["status"] == 200


@pytest.mark.parametrize("alias", list(FAMILIES))
async def test_each_family_streams_chat_chunks_as_they_arrive(vertex, router, alias):
    stream = await router.chat_stream(ask(alias, stream=True, stream_options={"include_usage": True}))
    chunks = [chunk async for chunk in stream]

    assert chunks and all(c["object"] == "chat.completion.chunk" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text.strip()
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert finishes == ["stop"]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
    assert stream.usage == chunks[-1]["usage"]
    assert stream.ttft_ms is not None and stream.ttft_ms > 0
    assert stream.wire_request["headers"]["Authorization"] == "Bearer [redacted]"
    assert len(vertex.requests(path_contains=STREAM_PATHS[alias])) == 1


@pytest.mark.parametrize("alias", ["flash", "sonnet", "mistral", "llama", "tuned"])
async def test_each_family_returns_tool_calls(router, alias):
    result = await router.chat(ask(alias, "What is the weather in Paris? [[call:get_weather]]", tools=[WEATHER_TOOL]))

    choice = result.response["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    call = choice["message"]["tool_calls"][0]
    assert call["type"] == "function" and call["function"]["name"] == "get_weather"
    assert isinstance(json.loads(call["function"]["arguments"]), dict)


@pytest.mark.parametrize("alias", ["flash", "sonnet", "llama"])
async def test_tool_calls_stream_as_tool_call_deltas(router, alias):
    stream = await router.chat_stream(ask(alias, "What is the weather in Paris? [[call:get_weather]]", tools=[WEATHER_TOOL]))
    chunks = [c async for c in stream]

    deltas = [tc for c in chunks if c["choices"] for tc in c["choices"][0]["delta"].get("tool_calls") or []]
    assert any((d.get("function") or {}).get("name") == "get_weather" for d in deltas)
    arguments = "".join((d.get("function") or {}).get("arguments") or "" for d in deltas)
    assert isinstance(json.loads(arguments), dict)
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]] \
        == ["tool_calls"]


@pytest.mark.parametrize("alias", ["flash", "sonnet", "llama"])
async def test_json_mode_returns_a_json_object(router, alias):
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    request = ask(alias, "Reply as JSON.", response_format={
        "type": "json_schema", "json_schema": {"name": "reply", "schema": schema}})
    result = await router.chat(request)

    content = result.response["choices"][0]["message"]["content"]
    assert isinstance(json.loads(content), dict)


async def test_embeddings_come_back_as_vectors_with_statistics(vertex, router):
    result = await router.embeddings({"model": "embed", "input": ["first text", "second text"],
                                      "dimensions": 64, "task_type": "RETRIEVAL_DOCUMENT"})

    data = result.response["data"]
    assert [d["index"] for d in data] == [0, 1]
    assert all(len(d["embedding"]) == 64 for d in data)
    assert result.response["usage"]["prompt_tokens"] > 0
    sent = vertex.requests(path_contains="text-embedding-005:predict")[0]["body"]
    assert sent["instances"][0] == {"content": "first text", "task_type": "RETRIEVAL_DOCUMENT"}
    assert sent["parameters"]["outputDimensionality"] == 64


async def test_count_tokens_uses_the_family_counting_call(vertex, router):
    gemini = await router.count_tokens(ask("flash"))
    claude = await router.count_tokens(ask("sonnet"))

    assert gemini.response["input_tokens"] > 0 and claude.response["input_tokens"] > 0
    assert vertex.requests(path_contains="gemini-2.0-flash:countTokens")
    assert vertex.requests(path_contains="publishers/anthropic/models/count-tokens:rawPredict")


async def test_the_responses_api_answers_through_the_chat_adapters(router):
    result = await router.responses({"model": "sonnet", "input": "Say hello.", "instructions": "Be brief.",
                                     "max_output_tokens": 100})

    response = result.response
    assert response["object"] == "response" and response["status"] == "completed"
    assert response["output_text"] if "output_text" in response else response["output"]


async def test_the_responses_api_streams_response_events(router):
    stream = await router.responses_stream({"model": "flash", "input": "Say hello.", "stream": True})
    events = [e async for e in stream]

    types = [e["type"] for e in events]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    assert "response.output_text.delta" in types


async def test_a_model_that_does_not_embed_is_refused_before_any_call(vertex, router):
    from routing.errors import InvalidRequestError

    with pytest.raises(InvalidRequestError, match="cannot create embeddings"):
        await router.embeddings({"model": "flash", "input": "x"})
    assert vertex.requests(path_contains="/v1/") == []
