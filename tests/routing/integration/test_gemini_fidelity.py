"""Gemini through the Router over real HTTP to the emulator: details a client relies on (n choices,
the thought signature of a function call surviving the round trip)."""

from __future__ import annotations

import json

import pytest

from routing.errors import InvalidRequestError
from tests.routing.integration.conftest import make_key

DEPLOYMENTS = {"flash": "gemini-2.0-flash", "thinker": "gemini-2.5-flash", "pro3": "gemini-3-pro-preview"}
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}
FORCED = {"type": "function", "function": {"name": "get_weather"}}


@pytest.fixture
def router(vertex, router_for):
    return router_for(make_key(vertex, deployments=DEPLOYMENTS))


def ask(text: str = "Tell me about lighthouses", **extra) -> dict:
    return {"model": "flash", "messages": [{"role": "user", "content": text}], **extra}


async def test_n_asks_gemini_for_that_many_candidates_and_returns_n_choices(vertex, router):
    result = await router.chat(ask(n=2))

    (sent,) = vertex.requests(path_contains=":generateContent")
    assert sent["body"]["generationConfig"]["candidateCount"] == 2
    choices = result.response["choices"]
    assert [c["index"] for c in choices] == [0, 1]
    assert all(c["message"]["content"] and c["finish_reason"] == "stop" for c in choices)
    assert choices[0]["message"]["content"] != choices[1]["message"]["content"]


async def test_a_stream_with_n_gives_chunks_for_choices_0_to_n_minus_1(vertex, router):
    stream = await router.chat_stream(ask(n=3, stream=True, stream_options={"include_usage": True}))
    chunks = [c async for c in stream]

    (sent,) = vertex.requests(path_contains=":streamGenerateContent")
    assert sent["body"]["generationConfig"]["candidateCount"] == 3
    texts: dict[int, str] = {}
    finishes: dict[int, list[str]] = {}
    for chunk in chunks:
        for choice in chunk["choices"]:
            texts[choice["index"]] = texts.get(choice["index"], "") + (choice["delta"].get("content") or "")
            if choice["finish_reason"]:
                finishes.setdefault(choice["index"], []).append(choice["finish_reason"])
    assert sorted(texts) == [0, 1, 2] and all(t.strip() for t in texts.values())
    assert finishes == {0: ["stop"], 1: ["stop"], 2: ["stop"]}
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0


def tool_turn(alias: str) -> dict:
    return {"model": alias, "messages": [{"role": "user", "content": "What is the weather in Oslo?"}],
            "tools": [WEATHER_TOOL], "tool_choice": FORCED}


def with_result(request: dict, assistant: dict, call_id: str) -> dict:
    messages = [*request["messages"], assistant, {"role": "tool", "tool_call_id": call_id, "content": '{"temp_c": 4}'}]
    return {"model": request["model"], "messages": messages, "tools": request["tools"]}


def sent_signature(vertex, method: str) -> str | None:
    last = vertex.requests(path_contains=method)[-1]["body"]
    (part,) = last["contents"][1]["parts"]
    return part.get("thoughtSignature")


@pytest.mark.parametrize("alias", ["thinker", "pro3"])
async def test_the_thought_signature_of_a_function_call_survives_the_round_trip(vertex, router, alias):
    first = await router.chat(tool_turn(alias))
    message = first.response["choices"][0]["message"]
    (call,) = message["tool_calls"]
    signature = call["extra_content"]["google"]["thought_signature"]

    second = await router.chat(with_result(tool_turn(alias), message, call["id"]))

    assert second.response["choices"][0]["message"]["content"]
    assert sent_signature(vertex, ":generateContent") == signature


async def test_a_streamed_function_call_keeps_its_signature_for_the_next_turn(vertex, router):
    stream = await router.chat_stream({**tool_turn("pro3"), "stream": True})
    deltas = [tc for c in [c async for c in stream] for ch in c["choices"] for tc in ch["delta"].get("tool_calls") or []]
    (head,) = [d for d in deltas if d.get("id")]
    assistant = {"role": "assistant", "content": None, "tool_calls": [{
        "id": head["id"], "type": "function", "extra_content": head["extra_content"],
        "function": {"name": head["function"]["name"],
                     "arguments": "".join(d["function"].get("arguments") or "" for d in deltas)}}]}

    second = await router.chat(with_result(tool_turn("pro3"), assistant, head["id"]))

    assert second.response["choices"][0]["message"]["content"]
    assert sent_signature(vertex, ":generateContent") == head["extra_content"]["google"]["thought_signature"]


async def test_the_responses_api_round_trip_keeps_the_signature_in_the_call_id(vertex, router):
    ask = {"model": "pro3", "input": "What is the weather in Oslo?", "tool_choice": {"type": "function", "name": "get_weather"},
           "tools": [{"type": "function", "name": "get_weather", "parameters": WEATHER_TOOL["function"]["parameters"]}]}
    first = await router.responses(ask)
    (call,) = [item for item in first.response["output"] if item["type"] == "function_call"]
    follow = {"model": "pro3", "tools": ask["tools"], "input": [
        {"role": "user", "content": "What is the weather in Oslo?"},
        {"type": "function_call", "call_id": call["call_id"], "name": call["name"], "arguments": call["arguments"]},
        {"type": "function_call_output", "call_id": call["call_id"], "output": json.dumps({"temp_c": 4})}]}

    second = await router.responses(follow)

    assert second.response["status"] == "completed" and second.response["output"][-1]["type"] == "message"
    assert sent_signature(vertex, ":generateContent")


async def test_gemini_3_refuses_the_next_turn_when_the_client_dropped_the_signature(vertex, router):
    first = await router.chat(tool_turn("pro3"))
    (call,) = first.response["choices"][0]["message"]["tool_calls"]
    bare = {"role": "assistant", "content": None,
            "tool_calls": [{"id": "call_1", "type": "function", "function": call["function"]}]}

    with pytest.raises(InvalidRequestError) as refused:
        await router.chat(with_result(tool_turn("pro3"), bare, "call_1"))

    assert "thought_signature" in str(refused.value)
