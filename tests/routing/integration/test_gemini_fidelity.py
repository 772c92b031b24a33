"""Gemini through the Router over real HTTP to the emulator: details a client relies on (n choices,
the thought signature of a function call surviving the round trip)."""

from __future__ import annotations

import pytest

from tests.routing.integration.conftest import make_key

DEPLOYMENTS = {"flash": "gemini-2.0-flash"}


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
