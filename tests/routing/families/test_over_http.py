"""Adapters over real HTTP through the Router to the emulator: images, edits, video, thinking, tool rounds."""

from __future__ import annotations

import base64
import json

import pytest

from routing import transport
from routing.auth import TokenCache
from routing.catalog import Catalog
from routing.config import Deployment, KeyConfig
from routing.router import Router

DEPLOYMENTS = {
    "imagen": "imagen-3.0-generate-002",
    "imagen-edit": "imagen-3.0-capability-001",
    "veo": "veo-3.0-generate-001",
    "sonnet": "claude-sonnet-4-5@20250929",
    "flash": "gemini-2.0-flash",
    "flash25": "gemini-2.5-flash",
}
WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}


@pytest.fixture
async def router(vertex):
    key = KeyConfig(key_id="media", name="Media", project_id=vertex.project_id, region="us-central1",
                    credentials=vertex.service_account_json, allowed_token_uris=(vertex.token_uri,),
                    deployments=tuple(Deployment(alias=a, target=t) for a, t in DEPLOYMENTS.items()))
    yield Router([key], base_url=vertex.base_url, tokens=TokenCache(), catalog=Catalog())
    await transport.aclose()


async def test_imagen_returns_decodable_png_images(vertex, router):
    result = await router.images({"model": "imagen", "prompt": "a lighthouse at dusk", "n": 2, "size": "1024x1024"})

    images = [base64.b64decode(item["b64_json"]) for item in result.response["data"]]
    assert len(images) == 2 and all(image.startswith(b"\x89PNG") for image in images)
    sent = vertex.requests("imagen-3.0-generate-002:predict")[-1]["body"]
    assert sent == {"instances": [{"prompt": "a lighthouse at dusk"}],
                    "parameters": {"sampleCount": 2, "aspectRatio": "1:1"}}


async def test_an_imagen_edit_sends_the_image_and_mask_and_returns_an_image(vertex, router):
    source = (await router.images({"model": "imagen", "prompt": "a cat"})).response["data"][0]["b64_json"]
    result = await router.image_edits({"model": "imagen-edit", "prompt": "give the cat a hat",
                                       "image": f"data:image/png;base64,{source}", "mask": source})

    assert base64.b64decode(result.response["data"][0]["b64_json"]).startswith(b"\x89PNG")
    sent = vertex.requests("imagen-3.0-capability-001:predict")[-1]["body"]
    kinds = [ref["referenceType"] for ref in sent["instances"][0]["referenceImages"]]
    assert kinds == ["REFERENCE_TYPE_RAW", "REFERENCE_TYPE_MASK"]


async def test_a_veo_video_is_queued_then_polled_until_the_bytes_arrive(vertex, router):
    started = await router.video_start({"model": "veo", "prompt": "waves on a beach", "seconds": 8, "size": "1280x720"})
    video = started.response
    assert video["status"] == "queued" and "/operations/" in video["id"]

    statuses = []
    for _ in range(5):
        polled = await router.video_poll(key_id=started.key_id, region=started.region, target=started.target,
                                         operation=video["id"])
        statuses.append(polled.response["status"])
        if polled.response["status"] == "completed":
            break
    assert statuses[0] == "in_progress" and statuses[-1] == "completed"
    (clip,) = polled.response["videos"]
    assert clip["mime_type"] == "video/mp4" and len(base64.b64decode(clip["b64_json"])) > 100
    sent = vertex.requests(":predictLongRunning")[-1]["body"]
    assert sent["parameters"] == {"sampleCount": 1, "durationSeconds": 8, "aspectRatio": "16:9", "resolution": "720p"}


async def test_a_claude_thinking_stream_carries_reasoning_then_text_then_usage(vertex, router):
    stream = await router.chat_stream({"model": "sonnet", "stream": True, "stream_options": {"include_usage": True},
                                       "reasoning_effort": "low",
                                       "messages": [{"role": "user", "content": "Why is the sky blue?"}]})
    chunks = [chunk async for chunk in stream]

    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    reasoning = "".join(d.get("reasoning_content", "") for d in deltas)
    text = "".join(d.get("content") or "" for d in deltas)
    assert reasoning and text
    first_text = next(i for i, d in enumerate(deltas) if d.get("content"))
    assert any(d.get("reasoning_content") for d in deltas[:first_text])
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0
    assert vertex.requests(":streamRawPredict")[-1]["body"]["thinking"] == {"type": "enabled", "budget_tokens": 1024}


@pytest.mark.parametrize("alias", ["flash", "sonnet"])
async def test_a_tool_round_trip_sends_the_result_back_and_gets_an_answer(router, alias):
    ask = [{"role": "user", "content": "What is the weather in Paris? [[call:get_weather]]"}]
    first = (await router.chat({"model": alias, "messages": ask, "tools": [WEATHER]})).response
    message = first["choices"][0]["message"]
    assert first["choices"][0]["finish_reason"] == "tool_calls"
    (call,) = message["tool_calls"]
    assert json.loads(call["function"]["arguments"])["city"]

    history = [*ask, {"role": "assistant", "content": message.get("content"), "tool_calls": [call]},
               {"role": "tool", "tool_call_id": call["id"], "content": json.dumps({"temp_c": 21})}]
    second = (await router.chat({"model": alias, "messages": history, "tools": [WEATHER]})).response

    assert second["choices"][0]["finish_reason"] == "stop"
    assert second["choices"][0]["message"]["content"]


async def test_gemini_thought_summaries_come_back_as_reasoning_with_reasoning_tokens(vertex, router):
    result = await router.chat({"model": "flash25", "reasoning_effort": "medium", "include_thoughts": True,
                                "messages": [{"role": "user", "content": "Why is the sky blue?"}]})

    message = result.response["choices"][0]["message"]
    assert message["reasoning_content"] and message["content"]
    assert message["reasoning_content"] not in message["content"]
    assert result.response["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0
    sent = vertex.requests("gemini-2.5-flash:generateContent")[-1]["body"]
    assert sent["generationConfig"]["thinkingConfig"] == {"thinkingBudget": 4096, "includeThoughts": True}
