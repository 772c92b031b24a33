"""Mistral rawPredict/streamRawPredict and partner MaaS chat completions (driven with the openai SDK)."""

from __future__ import annotations

import json

import openai
import pytest

from tests.routing.emulator.conftest import vertex_path

MISTRAL = vertex_path("mistral-small-2503", "rawPredict", publisher="mistralai")
MISTRAL_STREAM = vertex_path("mistral-small-2503", "streamRawPredict", publisher="mistralai")
CHAT = {"model": "mistral-small-2503", "messages": [{"role": "user", "content": "Summarise the history of tea"}]}


def test_mistral_raw_predict_answers_a_chat_completion(vertex, api):
    body = api.post(MISTRAL, json=CHAT).json()
    assert body["object"] == "chat.completion"
    assert body["model"] == "mistral-small-2503"
    assert "the history of tea" in body["choices"][0]["message"]["content"]
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_mistral_stream_raw_predict_streams_chunks_then_done(vertex, api):
    with api.stream("POST", MISTRAL_STREAM, json={**CHAT, "stream": True}) as response:
        data = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert text == api.post(MISTRAL, json=CHAT).json()["choices"][0]["message"]["content"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


@pytest.fixture
def maas(vertex, api) -> openai.OpenAI:
    token = api.headers["authorization"].split(" ", 1)[1]
    base = f"{vertex.base_url}/v1/projects/demo-project/locations/us-central1/endpoints/openapi"
    return openai.OpenAI(base_url=base, api_key=token, max_retries=0)


def test_partner_maas_chat_completions_work_with_the_openai_sdk(maas, vertex):
    completion = maas.chat.completions.create(
        model="meta/llama-3.3-70b-instruct-maas", messages=[{"role": "user", "content": "Why do cats purr?"}]
    )
    assert completion.choices[0].message.content
    assert completion.model == "meta/llama-3.3-70b-instruct-maas"
    assert completion.usage.completion_tokens > 5
    assert vertex.requests("endpoints/openapi/chat/completions")[-1]["body"]["model"] == "meta/llama-3.3-70b-instruct-maas"


def test_partner_maas_streams_with_the_openai_sdk(maas):
    stream = maas.chat.completions.create(
        model="deepseek-ai/deepseek-v3.1-maas", messages=[{"role": "user", "content": "Why do cats purr?"}], stream=True
    )
    pieces = [chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices]
    assert len(pieces) > 3 and "".join(pieces)


def test_partner_maas_calls_a_function_when_asked(maas):
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"location": {"type": "string"}}}}}]
    completion = maas.chat.completions.create(
        model="meta/llama-3.3-70b-instruct-maas", tools=tools,
        messages=[{"role": "user", "content": "What's the weather in Madrid? [[call:get_weather]]"}],
    )
    call = completion.choices[0].message.tool_calls[0]
    assert completion.choices[0].finish_reason == "tool_calls"
    assert json.loads(call.function.arguments) == {"location": "Madrid"}


def test_a_maas_model_without_model_is_invalid(maas):
    with pytest.raises(openai.BadRequestError):
        maas.chat.completions.create(model="", messages=[{"role": "user", "content": "hi"}])
