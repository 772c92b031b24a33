"""The Gemini emulator answers `candidateCount` candidates, as Vertex does, whole and streamed."""

from __future__ import annotations

import json

from tests.routing.emulator.conftest import vertex_path

GEMINI = vertex_path("gemini-2.0-flash", "generateContent")
GEMINI_STREAM = vertex_path("gemini-2.0-flash", "streamGenerateContent") + "?alt=sse"
ASK = {"contents": [{"role": "user", "parts": [{"text": "Tell me about lighthouses"}]}]}


def test_candidate_count_gives_that_many_candidates_each_its_own_answer(vertex, api):
    body = api.post(GEMINI, json={**ASK, "generationConfig": {"candidateCount": 3}}).json()
    candidates = body["candidates"]
    assert [c.get("index", 0) for c in candidates] == [0, 1, 2]
    texts = [c["content"]["parts"][0]["text"] for c in candidates]
    assert all(texts) and len(set(texts)) == 3
    assert all(c["finishReason"] == "STOP" for c in candidates)
    single = api.post(GEMINI, json=ASK).json()
    assert len(single["candidates"]) == 1
    assert body["usageMetadata"]["candidatesTokenCount"] > single["usageMetadata"]["candidatesTokenCount"]


def test_a_stream_carries_every_candidate_under_its_index(vertex, api):
    with api.stream("POST", GEMINI_STREAM, json={**ASK, "generationConfig": {"candidateCount": 2}}) as response:
        events = [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: ")]
    texts = {0: "", 1: ""}
    finished = []
    for event in events:
        for candidate in event["candidates"]:
            texts[candidate.get("index", 0)] += candidate["content"]["parts"][0]["text"]
            if candidate.get("finishReason"):
                finished.append(candidate.get("index", 0))
    whole = api.post(GEMINI, json={**ASK, "generationConfig": {"candidateCount": 2}}).json()
    assert texts == {i: c["content"]["parts"][0]["text"] for i, c in enumerate(whole["candidates"])}
    assert sorted(finished) == [0, 1]
    assert "candidatesTokenCount" in events[-1]["usageMetadata"]


def test_a_candidate_count_out_of_range_is_refused(vertex, api):
    response = api.post(GEMINI, json={**ASK, "generationConfig": {"candidateCount": 9}})
    assert response.status_code == 400
    assert "candidateCount" in response.json()["error"]["message"]
