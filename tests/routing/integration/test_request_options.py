"""Caller options the Router hands to the families over real HTTP: JSON mode on a Claude stream, and
base64 embeddings at a requested size."""

from __future__ import annotations

import base64
import json
import struct

import pytest

from tests.routing.integration.conftest import make_key

DEPLOYMENTS = {
    "sonnet": "claude-sonnet-4-5@20250929",
    "embed": "text-embedding-005",
    "gembed": "gemini-embedding-001",
}


@pytest.fixture
def router(vertex, router_for):
    return router_for(make_key(vertex, deployments=DEPLOYMENTS))


async def test_a_streamed_claude_chat_in_json_mode_yields_only_the_json(router):
    stream = await router.chat_stream({
        "model": "sonnet", "stream": True, "response_format": {"type": "json_object"},
        "messages": [{"role": "user", "content": "Give me a city and its country as JSON."}]})
    chunks = [chunk async for chunk in stream]

    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert isinstance(json.loads(text), dict)
    assert not any(c["choices"][0]["delta"].get("tool_calls") for c in chunks if c["choices"])
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert finishes == ["stop"]


def floats_of(encoded: str) -> tuple[float, ...]:
    raw = base64.b64decode(encoded, validate=True)
    assert len(raw) % 4 == 0
    return struct.unpack(f"<{len(raw) // 4}f", raw)


@pytest.mark.parametrize(("alias", "texts"), [
    ("embed", ["first text", "second text"]),
    ("gembed", ["only one text per call for gemini-embedding-001"]),
])
async def test_base64_embeddings_decode_to_float32_vectors_of_the_requested_size(router, alias, texts):
    encoded = await router.embeddings({"model": alias, "input": texts, "dimensions": 48,
                                       "encoding_format": "base64"})
    plain = await router.embeddings({"model": alias, "input": texts, "dimensions": 48})

    data = encoded.response["data"]
    assert [d["index"] for d in data] == list(range(len(texts)))
    assert all(isinstance(d["embedding"], str) for d in data)
    vectors = [floats_of(d["embedding"]) for d in data]
    assert [len(v) for v in vectors] == [48] * len(texts)
    for vector, expected in zip(vectors, (d["embedding"] for d in plain.response["data"]), strict=True):
        assert vector == pytest.approx(expected, abs=1e-6)
        assert any(vector)
