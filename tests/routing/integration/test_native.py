"""The native calls against the emulator: Anthropic Messages (Claude passed through, Gemini translated),
count tokens, and the Vertex pass-through, with betas filtered and failover before the first byte."""

from __future__ import annotations

import base64
import copy

import httpx
import orjson
import pytest

from routing.betas import BetaTable
from routing.errors import InvalidRequestError, ModelNotFoundError, StreamInterruptedError
from tests.routing.integration.conftest import make_key

SONNET = "claude-sonnet-4-5@20250929"
SONNET4 = "claude-sonnet-4@20250514"
FLASH = "gemini-2.0-flash"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()
# Shaped like Claude Code's requests: cache_control on system, tool and message blocks, thinking,
# metadata, context_management and output_config, an image.
CLAUDE_CODE_BODY = {
    "model": "sonnet",
    "max_tokens": 32000,
    "system": [{"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}],
    "tools": [{"name": "Bash", "description": "Run a command",
               "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}},
               "cache_control": {"type": "ephemeral"}}],
    "tool_choice": {"type": "auto"},
    "thinking": {"type": "enabled", "budget_tokens": 4096},
    "metadata": {"user_id": "user_abc_session_1"},
    "context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]},
    "output_config": {"effort": "high"},
    "messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
        {"type": "text", "text": "What is in this picture?", "cache_control": {"type": "ephemeral"}}]}],
}


def claude_key(vertex, **kw):
    return make_key(vertex, region=kw.pop("region", "global"), region_failover=kw.pop("region_failover", "any"),
                    deployments=kw.pop("deployments", {"sonnet": SONNET, "sonnet4": SONNET4, "flash": FLASH}), **kw)


def direct(vertex, path: str, body: dict, headers: dict | None = None) -> httpx.Response:
    """The same call straight to the emulator (a fresh token), to compare with what was relayed."""
    from google.auth.transport.requests import Request
    from google.oauth2 import service_account

    creds = service_account.Credentials.from_service_account_info(
        vertex.service_account, scopes=["https://www.googleapis.com/auth/cloud-platform"])
    creds.refresh(Request())
    return httpx.post(vertex.base_url + path, json=body, timeout=10,
                      headers={"Authorization": f"Bearer {creds.token}", **(headers or {})})


def regions(vertex, needle: str) -> list[str]:
    return [r["path"].split("/locations/")[1].split("/")[0] for r in vertex.requests(path_contains=needle)]


# -- Claude: the body passes through ------------------------------------------------------------------


def _normalised(usage: dict) -> dict:
    """Anthropic's usage block as routing reports it: input_tokens counts cache reads and writes too."""
    read, write = usage.get("cache_read_input_tokens") or 0, usage.get("cache_creation_input_tokens") or 0
    return {"input_tokens": usage["input_tokens"] + read + write, "output_tokens": usage["output_tokens"],
            "cache_read_tokens": read, "cache_write_tokens": write}


async def test_the_claude_body_reaches_vertex_as_sent_minus_model_plus_anthropic_version(vertex, router_for):
    router = router_for(claude_key(vertex))
    sent = copy.deepcopy(CLAUDE_CODE_BODY)

    result = await router.messages(sent, betas="claude-code-20250219,interleaved-thinking-2025-05-14")

    (request,) = vertex.requests(path_contains=f"{SONNET}:rawPredict")
    expected = {k: v for k, v in CLAUDE_CODE_BODY.items() if k != "model"}
    assert request["body"] == {**expected, "anthropic_version": "vertex-2023-10-16"}
    assert request["headers"]["anthropic-beta"] == "claude-code-20250219,interleaved-thinking-2025-05-14"
    assert sent == CLAUDE_CODE_BODY  # the caller's dict is not changed
    assert result.response == orjson.loads(result.raw_body)
    assert result.response["type"] == "message" and [b["type"] for b in result.response["content"]] == [
        "thinking", "text"]
    assert result.usage == _normalised(result.response["usage"])
    assert result.usage["cache_write_tokens"] > 0  # the body marks blocks cache_control: Claude writes its cache
    assert (result.target, result.region, result.family, result.betas_dropped) == (SONNET, "global", "anthropic", [])


async def test_a_refused_beta_is_dropped_before_the_call_and_reported(vertex, router_for):
    router = router_for(claude_key(vertex))
    betas = "claude-code-20250219,prompt-caching-scope-2026-01-05,structured-outputs-2025-11-13"

    result = await router.messages({"model": "sonnet", "max_tokens": 100, "messages": [
        {"role": "user", "content": "hi"}]}, betas=betas)

    assert vertex.requests(path_contains=":rawPredict")[-1]["headers"]["anthropic-beta"] == "claude-code-20250219"
    assert result.betas_dropped == ["prompt-caching-scope-2026-01-05", "structured-outputs-2025-11-13"]


async def test_without_the_table_vertex_would_refuse_the_whole_call(vertex, router_for):
    # An override that (wrongly) accepts the beta forwards it: the emulator answers Vertex's 400.
    router = router_for(claude_key(vertex))
    router.betas = BetaTable([("prompt-caching-scope-2026-01-05", "messages", True)])

    with pytest.raises(InvalidRequestError) as caught:
        await router.messages({"model": "sonnet", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]},
                              betas="prompt-caching-scope-2026-01-05")
    assert "prompt-caching-scope-2026-01-05" in caught.value.user_message
    assert orjson.loads(caught.value.upstream_body)["error"]["type"] == "invalid_request_error"  # bytes as sent


async def test_no_beta_header_is_sent_when_every_beta_is_dropped(vertex, router_for):
    router = router_for(claude_key(vertex))
    result = await router.messages({"model": "sonnet", "max_tokens": 50, "messages": [
        {"role": "user", "content": "hi"}]}, betas=["oauth-2025-04-20"])
    assert "anthropic-beta" not in vertex.requests(path_contains=":rawPredict")[-1]["headers"]
    assert result.betas_dropped == ["oauth-2025-04-20"]


async def test_the_stream_relays_vertexs_bytes_event_by_event(vertex, router_for):
    router = router_for(claude_key(vertex))
    body = {"model": "sonnet", "max_tokens": 2000, "thinking": {"type": "enabled", "budget_tokens": 1024},
            "messages": [{"role": "user", "content": "Why is the sky blue? [[call:Bash]]"}],
            "tools": CLAUDE_CODE_BODY["tools"]}

    stream = await router.messages_stream(body, betas="interleaved-thinking-2025-05-14,oauth-2025-04-20")
    items = [item async for item in stream]

    wire = {k: v for k, v in body.items() if k != "model"} | {"anthropic_version": "vertex-2023-10-16",
                                                              "stream": True}
    assert vertex.requests(path_contains=":streamRawPredict")[-1]["body"] == wire
    vertex.reset()  # the same prompt again would read the prompt cache the first call wrote
    sent = direct(vertex, f"/v1/projects/demo-project/locations/global/publishers/anthropic/models/{SONNET}"
                          ":streamRawPredict", wire, {"anthropic-beta": "interleaved-thinking-2025-05-14"})
    assert b"".join(items) == sent.content
    assert all(item.startswith(b"event: ") and item.endswith(b"\n\n") and item.count(b"\n\n") == 1
               for item in items)
    kinds = [item.split(b"\n", 1)[0] for item in items]
    assert kinds[0] == b"event: message_start" and kinds[-1] == b"event: message_stop"
    assert b"event: content_block_delta" in kinds
    final = orjson.loads(direct(vertex, f"/v1/projects/demo-project/locations/global/publishers/anthropic/models/"
                                        f"{SONNET}:rawPredict", {**wire, "stream": False}).content)
    started = orjson.loads(items[0].split(b"data: ", 1)[1])["message"]["usage"]
    # The stream's input and cache figures come from its message_start, its output from its last delta.
    assert stream.usage == _normalised({**started, "output_tokens": final["usage"]["output_tokens"]})
    assert stream.ttft_ms is not None and stream.latency_ms >= stream.ttft_ms
    assert stream.betas_dropped == ["oauth-2025-04-20"]
    assert (stream.target, stream.region, stream.family) == (SONNET, "global", "anthropic")


async def test_a_stream_cut_after_the_first_byte_raises_and_is_never_retried(vertex, router_for):
    vertex.add_fault(cut_after=3, model=SONNET)
    router = router_for(claude_key(vertex))

    stream = await router.messages_stream({"model": "sonnet", "max_tokens": 500, "messages": [
        {"role": "user", "content": "Tell me a long story about the sea"}]})
    received = []
    with pytest.raises(StreamInterruptedError):
        async for item in stream:
            received.append(item)

    assert received and received[0].startswith(b"event: message_start")
    assert len(vertex.requests(path_contains=":streamRawPredict")) == 1
    assert [a.status for a in stream.attempts] == [200]


# -- failover before the first byte --------------------------------------------------------------------


async def test_messages_fail_over_to_another_region_on_429(vertex, router_for):
    vertex.add_fault(status=429, region="us-east5")
    router = router_for(claude_key(vertex, region="us-east5"))

    result = await router.messages({"model": "sonnet4", "max_tokens": 50, "messages": [
        {"role": "user", "content": "hi"}]})

    assert [(a.region, a.status) for a in result.attempts] == [
        ("us-east5", 429), ("us-east5", 429), ("us-east5", 429), ("europe-west1", 200)]
    assert result.region == "europe-west1" and result.attempts[-1].failover


async def test_messages_stream_fails_over_before_the_first_byte(vertex, router_for):
    vertex.add_fault(status=429, region="us-east5")
    router = router_for(claude_key(vertex, region="us-east5"))

    stream = await router.messages_stream({"model": "sonnet4", "max_tokens": 50, "messages": [
        {"role": "user", "content": "hi"}]})
    items = [item async for item in stream]

    assert stream.region == "europe-west1"
    assert [a.status for a in stream.attempts] == [429, 429, 429, 200]
    assert items[-1].startswith(b"event: message_stop")


async def test_the_vertex_pass_through_fails_over_before_the_first_byte(vertex, router_for):
    vertex.add_fault(status=429, region="us-east5", times=3)
    router = router_for(claude_key(vertex, region="us-east5"))
    raw = orjson.dumps({"anthropic_version": "vertex-2023-10-16", "max_tokens": 50, "stream": True,
                        "messages": [{"role": "user", "content": "hi"}]})

    stream = await router.vertex(SONNET4, "streamRawPredict", raw)
    items = [item async for item in stream]

    assert stream.region == "europe-west1" and [a.status for a in stream.attempts] == [429, 429, 429, 200]
    assert items[0].startswith(b"event: message_start")
    plain = await router.vertex(SONNET4, "rawPredict", raw.replace(b'"stream":true', b'"stream":false'))
    # us-east5 is cooling down after its 429s, so the next call starts where the stream was served.
    assert [(a.region, a.status) for a in plain.attempts] == [("europe-west1", 200)] and plain.status == 200


# -- model names and regions -------------------------------------------------------------------------


async def test_an_anthropic_model_id_resolves_to_the_deployment_and_1m_adds_the_beta(vertex, router_for):
    router = router_for(claude_key(vertex))

    result = await router.messages({"model": "claude-sonnet-4-5-20250929[1m]", "max_tokens": 50,
                                    "messages": [{"role": "user", "content": "hi"}]}, betas="claude-code-20250219")

    assert result.target == SONNET
    assert vertex.requests(path_contains=":rawPredict")[-1]["headers"]["anthropic-beta"] == (
        "claude-code-20250219,context-1m-2025-08-07")
    assert router.alias_for_target(SONNET) == "sonnet"
    assert router.alias_for_target("claude-sonnet-4-5") == "sonnet"
    assert router.alias_for_target("claude-opus-4-1@20250805") is None
    assert router.resolve_model("claude-sonnet-4-5@20250929") == ("sonnet", [])


async def test_an_unknown_model_is_a_model_not_found(vertex, router_for):
    router = router_for(claude_key(vertex))
    with pytest.raises(ModelNotFoundError):
        await router.messages({"model": "claude-opus-4-1-20250805", "max_tokens": 5,
                               "messages": [{"role": "user", "content": "hi"}]})


@pytest.mark.parametrize(("target", "region"), [
    ("claude-3-5-haiku@20241022", "us-east5"), ("claude-3-7-sonnet@20250219", "us-east5"),
    ("claude-sonnet-4@20250514", "us-east5"), ("claude-opus-4@20250514", "europe-west1"),
    ("claude-opus-4-1@20250805", "europe-west1")])
async def test_a_global_key_serves_models_that_need_a_regional_endpoint_where_they_are_served(
        vertex, router_for, target, region):
    # Seed 004: with CLOUD_ML_REGION=global these models need VERTEX_REGION_* overrides.
    router = router_for(claude_key(vertex, region="global", deployments={"m": target}))

    result = await router.messages({"model": "m", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]})

    assert [(a.region, a.status) for a in result.attempts] == [(region, 200)]


# -- count tokens --------------------------------------------------------------------------------------


async def test_claude_count_tokens_sends_the_prompt_with_count_tokens_betas(vertex, router_for):
    router = router_for(claude_key(vertex))
    body = {**CLAUDE_CODE_BODY, "messages": [{"role": "user", "content": "one two three four"}]}

    result = await router.messages_count_tokens(body, betas="context-1m-2025-08-07,claude-code-20250219")

    (request,) = vertex.requests(path_contains="count-tokens:rawPredict")
    assert request["body"] == {"model": SONNET, "anthropic_version": "vertex-2023-10-16",
                               **{k: body[k] for k in ("messages", "system", "tools", "tool_choice", "thinking")}}
    assert "anthropic-beta" not in request["headers"]
    assert result.betas_dropped == ["context-1m-2025-08-07", "claude-code-20250219"]
    assert result.response == {"input_tokens": orjson.loads(result.raw_body)["input_tokens"]}
    assert result.response["input_tokens"] > 4


async def test_gemini_count_tokens_goes_to_count_tokens(vertex, router_for):
    router = router_for(claude_key(vertex))
    result = await router.messages_count_tokens({"model": "flash", "system": "Be brief.", "messages": [
        {"role": "user", "content": "one two three four"}]})
    assert result.response["input_tokens"] >= 4
    assert vertex.requests(path_contains=f"{FLASH}:countTokens")


# -- Gemini behind the Messages API ---------------------------------------------------------------------


async def test_gemini_answers_the_messages_api_with_a_message(vertex, router_for):
    router = router_for(claude_key(vertex))

    result = await router.messages({"model": "flash", "max_tokens": 200, "system": "Be brief.",
                                    "messages": [{"role": "user", "content": "Why is the sky blue?"}]},
                                   betas="claude-code-20250219")

    message = result.response
    assert message["type"] == "message" and message["role"] == "assistant" and message["model"] == "flash"
    assert message["content"][0]["type"] == "text" and message["content"][0]["text"]
    assert message["stop_reason"] == "end_turn"
    assert message["usage"]["input_tokens"] == result.usage["input_tokens"] > 0
    assert result.betas_dropped == ["claude-code-20250219"]  # nothing is forwarded to Gemini
    sent = vertex.requests(path_contains=f"{FLASH}:generateContent")[-1]["body"]
    assert sent["systemInstruction"]["parts"][0]["text"] == "Be brief."
    assert sent["generationConfig"]["maxOutputTokens"] == 200


async def test_gemini_tool_use_round_trips_through_the_messages_api(vertex, router_for):
    router = router_for(claude_key(vertex))
    ask = {"role": "user", "content": 'List files [[call:Bash {"command": "ls"}]]'}

    first = (await router.messages({"model": "flash", "max_tokens": 200, "tools": CLAUDE_CODE_BODY["tools"],
                                    "messages": [ask]})).response
    use = first["content"][-1]
    assert first["stop_reason"] == "tool_use"
    assert use["type"] == "tool_use" and use["name"] == "Bash" and use["input"] == {"command": "ls"}

    second = (await router.messages({"model": "flash", "max_tokens": 200, "tools": CLAUDE_CODE_BODY["tools"],
                                     "messages": [ask, {"role": "assistant", "content": first["content"]},
                                                  {"role": "user", "content": [{"type": "tool_result",
                                                   "tool_use_id": use["id"], "content": "a.txt b.txt"}]}]})).response
    assert second["stop_reason"] == "end_turn" and second["content"][0]["type"] == "text"
    parts = vertex.requests(path_contains=f"{FLASH}:generateContent")[-1]["body"]["contents"][-1]["parts"]
    assert parts == [{"functionResponse": {"name": "Bash", "response": {"content": "a.txt b.txt"}}}]


async def test_gemini_streams_anthropic_events(vertex, router_for):
    router = router_for(claude_key(vertex))

    stream = await router.messages_stream({"model": "flash", "max_tokens": 300, "tools": CLAUDE_CODE_BODY["tools"],
                                           "messages": [{"role": "user", "content": "Why? [[call:Bash]]"}]})
    items = [item async for item in stream]

    events = [(item.split(b"\n")[0][7:].decode(), orjson.loads(item.split(b"\n")[1][6:])) for item in items]
    names = [name for name, _ in events]
    assert all(name == data["type"] for name, data in events)
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    starts = [data["content_block"]["type"] for name, data in events if name == "content_block_start"]
    assert starts == ["tool_use"]
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"
    assert events[-2][1]["usage"]["input_tokens"] == stream.usage["input_tokens"] > 0
    assert names.count("content_block_start") == names.count("content_block_stop")


async def test_what_gemini_cannot_do_is_refused_naming_the_field(vertex, router_for):
    router = router_for(claude_key(vertex))
    with pytest.raises(InvalidRequestError) as caught:
        await router.messages({"model": "flash", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}],
                               "tools": [{"type": "web_search_20250305", "name": "web_search"}]})
    assert caught.value.param == "tools[0].type"
    assert vertex.requests(path_contains=FLASH) == []


# -- the Vertex pass-through ---------------------------------------------------------------------------


async def test_the_pass_through_forwards_bytes_verbatim_and_returns_vertexs_bytes(vertex, router_for):
    router = router_for(claude_key(vertex, region="us-east5"))
    raw = b'{"anthropic_version": "2023-06-01",  "max_tokens": 40, "messages": [{"role": "user", "content": "hi"}]}'

    result = await router.vertex(SONNET4, "rawPredict", raw, betas="claude-code-20250219,oauth-2025-04-20")

    request = vertex.requests(path_contains=":rawPredict")[-1]
    assert request["body"] == orjson.loads(raw) and request["headers"]["anthropic-beta"] == "claude-code-20250219"
    assert result.status == 200 and result.raw_body == direct(
        vertex, f"/v1/projects/demo-project/locations/us-east5/publishers/anthropic/models/{SONNET4}:rawPredict",
        orjson.loads(raw)).content
    assert result.betas_dropped == ["oauth-2025-04-20"] and result.usage["input_tokens"] > 0


async def test_the_pass_through_honours_a_region_preference_the_key_allows(vertex, router_for):
    router = router_for(claude_key(vertex, region="us-east5", region_failover="any"))
    raw = orjson.dumps({"anthropic_version": "vertex-2023-10-16", "max_tokens": 10,
                        "messages": [{"role": "user", "content": "hi"}]})

    preferred = await router.vertex(SONNET4, "rawPredict", raw, region_preference="europe-west1")
    not_served = await router.vertex(SONNET4, "rawPredict", raw, region_preference="global")
    strict = router_for(claude_key(vertex, region="us-east5", region_failover="off"))
    kept_home = await strict.vertex(SONNET4, "rawPredict", raw, region_preference="europe-west1")

    assert (preferred.region, not_served.region, kept_home.region) == ("europe-west1", "us-east5", "us-east5")


async def test_the_pass_through_streams_gemini_sse_and_reads_usage_metadata(vertex, router_for):
    router = router_for(claude_key(vertex))
    raw = orjson.dumps({"contents": [{"role": "user", "parts": [{"text": "Tell me about rivers"}]}]})

    stream = await router.vertex(FLASH, "streamGenerateContent", raw, query={"alt": "sse"})
    items = [item async for item in stream]

    request = vertex.requests(path_contains=":streamGenerateContent")[-1]
    assert request["query"] == {"alt": "sse"} and request["body"] == orjson.loads(raw)
    last = orjson.loads(items[-1].split(b"data: ", 1)[1])
    assert all(item.startswith(b"data: ") and item.endswith(b"\r\n\r\n") for item in items)
    meta = last["usageMetadata"]
    assert stream.usage == {"input_tokens": meta["promptTokenCount"], "output_tokens": meta["candidatesTokenCount"],
                            "cache_read_tokens": 0, "cache_write_tokens": 0}


async def test_the_pass_through_streams_a_json_array_without_alt_sse(vertex, router_for):
    router = router_for(claude_key(vertex))
    raw = orjson.dumps({"contents": [{"role": "user", "parts": [{"text": "Tell me about rivers"}]}]})

    stream = await router.vertex(FLASH, "streamGenerateContent", raw)
    whole = b"".join([item async for item in stream])

    chunks = orjson.loads(whole)
    assert isinstance(chunks, list) and chunks[-1]["usageMetadata"]["promptTokenCount"] > 0
    assert stream.usage["input_tokens"] == chunks[-1]["usageMetadata"]["promptTokenCount"]


async def test_pass_through_count_tokens_names_the_target_and_uses_count_tokens_betas(vertex, router_for):
    router = router_for(claude_key(vertex))
    raw = orjson.dumps({"model": "sonnet", "anthropic_version": "vertex-2023-10-16",
                        "messages": [{"role": "user", "content": "one two three"}]})

    result = await router.vertex("sonnet", "count-tokens", raw, betas="web-search-2025-03-05")

    request = vertex.requests(path_contains="count-tokens")[-1]
    assert request["body"]["model"] == SONNET and "anthropic-beta" not in request["headers"]
    assert orjson.loads(result.raw_body)["input_tokens"] > 0 and result.usage is None
    assert result.betas_dropped == ["web-search-2025-03-05"]


async def test_an_action_the_model_does_not_answer_is_refused_before_any_call(vertex, router_for):
    router = router_for(claude_key(vertex))
    with pytest.raises(InvalidRequestError) as caught:
        await router.vertex(SONNET, "generateContent", b"{}")
    assert "action" in caught.value.user_message and vertex.requests(path_contains="publishers") == []


async def test_the_pass_through_keeps_the_callers_api_version(vertex, router_for):
    router = router_for(claude_key(vertex))
    raw = orjson.dumps({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})

    await router.vertex(FLASH, "generateContent", raw, api_version="v1beta1")
    await router.vertex(FLASH, "generateContent", raw)

    paths = [r["path"] for r in vertex.requests(path_contains=":generateContent")]
    assert [p.split("/")[1] for p in paths] == ["v1beta1", "v1"]
    with pytest.raises(InvalidRequestError):
        await router.vertex(FLASH, "generateContent", raw, api_version="v2")


async def test_the_anthropic_sdk_reads_gemini_translated_answers_and_streams(vertex, router_for):
    from anthropic.lib.streaming._messages import accumulate_event
    from anthropic.types import Message, RawMessageStreamEvent
    from pydantic import TypeAdapter

    router = router_for(claude_key(vertex))
    body = {"model": "flash", "max_tokens": 300, "tools": CLAUDE_CODE_BODY["tools"],
            "thinking": {"type": "enabled", "budget_tokens": 1024},
            "messages": [{"role": "user", "content": 'Why? [[call:Bash {"command": "pwd"}]]'}]}

    plain = Message.model_validate((await router.messages(body)).response)
    stream = await router.messages_stream(body)
    events = TypeAdapter(RawMessageStreamEvent)
    snapshot = None
    buffers: dict[int, bytes] = {}
    async for item in stream:
        snapshot = accumulate_event(event=events.validate_json(item.split(b"data: ", 1)[1]),
                                    current_snapshot=snapshot, json_bufs=buffers)

    assert snapshot is not None and plain.stop_reason == snapshot.stop_reason == "tool_use"
    assert [b.type for b in snapshot.content] == [b.type for b in plain.content]
    assert snapshot.content[-1].input == plain.content[-1].input == {"command": "pwd"}
    assert snapshot.usage.output_tokens == plain.usage.output_tokens > 0


async def test_the_pass_through_streams_mistral_and_reads_its_usage(vertex, router_for):
    router = router_for(make_key(vertex, region="us-central1", deployments={"mistral": "mistral-small-2503"}))
    raw = orjson.dumps({"model": "mistral-small-2503", "stream": True,
                        "messages": [{"role": "user", "content": "Tell me about rivers"}]})

    stream = await router.vertex("mistral", "streamRawPredict", raw)
    items = [item async for item in stream]

    assert stream.content_type.startswith("text/event-stream")
    assert items[-1].strip() == b"data: [DONE]"
    assert b"".join(items).count(b"\n\n") == len(items)
    final = orjson.loads(items[-2].split(b"data: ", 1)[1])
    assert stream.usage == {"input_tokens": final["usage"]["prompt_tokens"],
                            "output_tokens": final["usage"]["completion_tokens"],
                            "cache_read_tokens": 0, "cache_write_tokens": 0}
    assert vertex.requests(path_contains="mistral-small-2503:streamRawPredict")[-1]["body"] == orjson.loads(raw)


async def test_an_unknown_region_preference_is_ignored(vertex, router_for):
    router = router_for(claude_key(vertex, region="us-east5"))
    raw = orjson.dumps({"anthropic_version": "vertex-2023-10-16", "max_tokens": 10,
                        "messages": [{"role": "user", "content": "hi"}]})
    result = await router.vertex(SONNET4, "rawPredict", raw, region_preference="moon-base1")
    assert [(a.region, a.status) for a in result.attempts] == [("us-east5", 200)]


def test_alias_for_target_prefers_the_alias_named_like_the_target_then_sorted_then_newest(vertex):
    from routing.router import Router

    router = Router([claude_key(vertex, deployments={
        "b-sonnet": SONNET, "a-sonnet": SONNET, "old": "claude-sonnet-4@20250514",
        "claude-sonnet-4@20250514": "claude-sonnet-4@20250514", "newer": "claude-opus-4@20250514",
        "newest": "claude-opus-4-1@20250805"})], base_url=vertex.base_url)

    assert router.alias_for_target(SONNET) == "a-sonnet"
    assert router.alias_for_target("claude-sonnet-4@20250514") == "claude-sonnet-4@20250514"
    assert router.alias_for_target("claude-sonnet-4-5") == "a-sonnet"
    assert router.alias_for_target("claude-opus-4-1") == "newest"
    assert router.alias_for_target("claude-haiku-4-5") is None


async def test_the_callers_anthropic_version_header_is_forwarded_to_claude_only(vertex, router_for):
    router = router_for(claude_key(vertex))
    ask = {"max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}

    await router.messages({"model": "sonnet", **ask}, anthropic_version="2023-06-01")
    await router.messages({"model": "flash", **ask}, anthropic_version="2023-06-01")
    await router.vertex(SONNET, "rawPredict", orjson.dumps({"anthropic_version": "vertex-2023-10-16", **ask}),
                        anthropic_version="2023-06-01")

    assert [r["headers"].get("anthropic-version") for r in vertex.requests(path_contains=":rawPredict")] == [
        "2023-06-01", "2023-06-01"]
    assert "anthropic-version" not in vertex.requests(path_contains=":generateContent")[-1]["headers"]
    with pytest.raises(InvalidRequestError) as caught:
        await router.messages({"model": "sonnet", **ask}, anthropic_version="2023-06-01\r\nX-Evil: 1")
    assert "anthropic-version" in caught.value.user_message


async def test_an_alias_on_claude_and_gemini_keys_keeps_claude_when_gemini_cannot_take_the_body(vertex, router_for):
    claude = claude_key(vertex, key_id="k1", deployments={"mixed": SONNET})
    gemini = claude_key(vertex, key_id="k2", name="Key two", deployments={"mixed": FLASH})
    router = router_for(claude, gemini)
    body = {"model": "mixed", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}],
            "tools": [{"type": "web_search_20250305", "name": "web_search"}]}

    for _ in range(4):  # the weighted order changes; the answer must not
        result = await router.messages(body)
        assert result.family == "anthropic"
    assert vertex.requests(path_contains=FLASH) == []
    plain = {**body, "tools": CLAUDE_CODE_BODY["tools"]}
    families = {(await router.messages(plain)).family for _ in range(24)}  # both keys weigh 1
    assert families == {"anthropic", "gemini"}
