"""Wire conformance: for the same input, the gateway sends Vertex what the official SDKs send.

Both sides go to the emulator over real HTTP and are compared from its request record: the SDK
(AnthropicVertex, google-genai with vertexai=True) on one side, routing's Router (family adapter ->
endpoints -> auth -> transport) on the other. Both use the same bearer token (the one routing's
TokenCache minted, handed to the SDK), so the Authorization headers are compared exactly.

Differences accepted on purpose (and only these):
- Anthropic: this SDK version defaults `anthropic_version` to its own API date; the product fixes it to
  the documented Vertex value `vertex-2023-10-16`, so the SDK side is given that value explicitly.
- google-genai: its default API version is `v1beta1`; the product calls `v1`, so the SDK side is
  created with `api_version="v1"`.
- google-genai passes some nested config fields under their Python names (`thinking_budget`,
  `allowed_function_names`, `parameters_json_schema`...). Vertex's proto3 JSON parser accepts both
  lowerCamelCase and the original field names, so keys are compared after camel-casing (never inside
  user data: JSON schemas, function args, function responses).
- google-genai sends `"generationConfig": {}` when a config object carries only tools; an empty
  generationConfig means "defaults", exactly like an absent one, so empty top-level objects are dropped.
- Client-identifying headers (user-agent, x-goog-api-client, x-stainless-*) name each client and are
  not compared; authorization and content-type are.
"""

from __future__ import annotations

import base64
import json
import re

import pytest
from anthropic import AnthropicVertex
from google import genai
from google.genai import types
from google.oauth2.credentials import Credentials

from routing import transport
from routing.auth import TokenCache
from routing.catalog import Catalog
from routing.config import Deployment, KeyConfig
from routing.router import Router

SONNET = "claude-sonnet-4-5@20250929"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(32))).decode()
VERTEX_VERSION = "vertex-2023-10-16"
# Values under these keys are user data (schemas, arguments, results): never re-cased.
OPAQUE = {"parametersJsonSchema", "responseJsonSchema", "args", "response", "input_schema", "input"}
COMPARED_HEADERS = ("authorization", "content-type")

WEATHER_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
OPENAI_TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                                                "parameters": WEATHER_SCHEMA}}


def camel(key: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), key)


def normalised(value, *, opaque: bool = False):
    if isinstance(value, dict):
        if opaque:
            return value
        return {camel(k): normalised(v, opaque=camel(k) in OPAQUE) for k, v in value.items()}
    if isinstance(value, list):
        return [normalised(v, opaque=opaque) for v in value]
    return value


def without_empty(body: dict) -> dict:
    return {k: v for k, v in body.items() if v != {}}


def wire(record: dict) -> dict:
    return {"method": record["method"], "path": record["path"], "query": record["query"],
            "headers": {h: record["headers"].get(h) for h in COMPARED_HEADERS}}


@pytest.fixture(scope="module")
def conformance_key(emulator) -> tuple[KeyConfig, TokenCache, str]:
    """One key and one minted token for the module (minting signs a JWT: keep it out of every test).

    The key serves Claude in us-east5 and Gemini/embeddings in us-central1."""
    deployments = {"sonnet": (SONNET, "us-east5"), "flash": ("gemini-2.0-flash", None),
                   "flash25": ("gemini-2.5-flash", None), "embed": ("text-embedding-005", None)}
    key = KeyConfig(
        key_id="conformance", name="Conformance", project_id=emulator.project_id, region="us-central1",
        credentials=emulator.service_account_json,
        deployments=tuple(Deployment(alias=a, target=t, region=r) for a, (t, r) in deployments.items()),
        allowed_token_uris=(emulator.token_uri,),
    )
    tokens = TokenCache()
    return key, tokens, tokens.token_sync(key)


@pytest.fixture
async def setup(vertex, conformance_key):
    """(router, token) on the emulator, sharing the module's token cache."""
    key, tokens, token = conformance_key
    yield Router([key], base_url=vertex.base_url, tokens=tokens, catalog=Catalog()), token
    await transport.aclose()


def last(vertex, needle: str) -> dict:
    records = vertex.requests(needle)
    assert records, f"no request to {needle}"
    return records[-1]


def assert_same(sdk: dict, ours: dict, *, camelcase: bool = False) -> None:
    assert wire(ours) == wire(sdk)
    if camelcase:
        assert without_empty(normalised(ours["body"])) == without_empty(normalised(sdk["body"]))
    else:
        assert ours["body"] == sdk["body"]


# ---------------------------------------------------------------- Claude / AnthropicVertex


@pytest.fixture
def claude(vertex, setup) -> AnthropicVertex:
    _, token = setup
    return AnthropicVertex(region="us-east5", project_id=vertex.project_id, access_token=token,
                           base_url=vertex.base_url + "/v1", max_retries=0)


CLAUDE_CASES = {
    "plain": (
        {"max_tokens": 100, "messages": [{"role": "user", "content": "Hey Claude!"}]},
        {"max_tokens": 100, "messages": [{"role": "user", "content": "Hey Claude!"}]},
    ),
    "system, sampling, stop and tools": (
        {"max_tokens": 300, "system": "Be brief.", "stop_sequences": ["END"],
         "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
         "tools": [{"name": "get_weather", "description": "Weather for a city", "input_schema": WEATHER_SCHEMA}],
         "tool_choice": {"type": "auto"}, "extra_body": {"temperature": 0.5, "top_p": 0.9}},
        {"max_tokens": 300, "stop": ["END"], "temperature": 0.5, "top_p": 0.9, "tools": [OPENAI_TOOL],
         "tool_choice": "auto", "messages": [{"role": "system", "content": "Be brief."},
                                             {"role": "user", "content": "What is the weather in Paris?"}]},
    ),
    "image, tool use and tool result history": (
        {"max_tokens": 200, "tools": [{"name": "get_weather", "description": "Weather for a city",
                                       "input_schema": WEATHER_SCHEMA}],
         "messages": [
             {"role": "user", "content": [
                 {"type": "text", "text": "Where is this? What is the weather there?"},
                 {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}]},
             {"role": "assistant", "content": [
                 {"type": "text", "text": "Paris. Checking."},
                 {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}}]},
             {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01", "content": "21C"}]}]},
        {"max_tokens": 200, "tools": [OPENAI_TOOL], "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "Where is this? What is the weather there?"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}]},
            {"role": "assistant", "content": "Paris. Checking.", "tool_calls": [
                {"id": "toolu_01", "type": "function",
                 "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
            {"role": "tool", "tool_call_id": "toolu_01", "content": "21C"}]},
    ),
    "thinking budget": (
        {"max_tokens": 4096, "thinking": {"type": "enabled", "budget_tokens": 2048},
         "messages": [{"role": "user", "content": "Think about primes."}]},
        {"max_tokens": 4096, "thinking": {"type": "enabled", "budget_tokens": 2048},
         "messages": [{"role": "user", "content": "Think about primes."}]},
    ),
}


def sdk_args(args: dict) -> dict:
    extra = {"anthropic_version": VERTEX_VERSION, **args.get("extra_body", {})}
    return {**{k: v for k, v in args.items() if k != "extra_body"}, "model": SONNET, "extra_body": extra}


@pytest.mark.parametrize("case", CLAUDE_CASES)
async def test_claude_messages_create_matches_anthropic_vertex(vertex, setup, claude, case):
    router, _ = setup
    sdk_input, openai_input = CLAUDE_CASES[case]
    claude.messages.create(**sdk_args(sdk_input))
    sdk = last(vertex, ":rawPredict")
    vertex.clear_requests()
    await router.chat({"model": "sonnet", **openai_input})
    ours = last(vertex, ":rawPredict")

    assert ours["path"] == f"/v1/projects/demo-project/locations/us-east5/publishers/anthropic/models/{SONNET}:rawPredict"
    assert ours["body"]["anthropic_version"] == VERTEX_VERSION and "model" not in ours["body"]
    assert_same(sdk, ours)


async def test_claude_messages_stream_matches_anthropic_vertex(vertex, setup, claude):
    router, _ = setup
    sdk_input, openai_input = CLAUDE_CASES["system, sampling, stop and tools"]
    with claude.messages.stream(**sdk_args(sdk_input)) as stream:
        stream.get_final_message()
    sdk = last(vertex, ":streamRawPredict")
    vertex.clear_requests()
    stream = await router.chat_stream({"model": "sonnet", "stream": True, **openai_input})
    chunks = [chunk async for chunk in stream]
    ours = last(vertex, ":streamRawPredict")

    assert chunks and ours["body"]["stream"] is True
    assert_same(sdk, ours)


async def test_claude_count_tokens_matches_anthropic_vertex(vertex, setup, claude):
    router, _ = setup
    sdk_count = claude.messages.count_tokens(model=SONNET, system="Be brief.",
                                             messages=[{"role": "user", "content": "Hey Claude!"}],
                                             extra_body={"anthropic_version": VERTEX_VERSION})
    sdk = last(vertex, "count-tokens:rawPredict")
    vertex.clear_requests()
    result = await router.count_tokens({"model": "sonnet", "messages": [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hey Claude!"}]})
    ours = last(vertex, "count-tokens:rawPredict")

    assert ours["body"]["model"] == SONNET
    assert_same(sdk, ours)
    assert result.response["input_tokens"] == sdk_count.input_tokens


def test_the_sdk_would_send_another_anthropic_version_by_default(vertex, claude):
    """Why the SDK side is pinned: left alone, this SDK does not send the documented Vertex version."""
    claude.messages.create(model=SONNET, max_tokens=10, messages=[{"role": "user", "content": "Hi"}])
    assert last(vertex, ":rawPredict")["body"]["anthropic_version"] != VERTEX_VERSION


# ---------------------------------------------------------------- Gemini / google-genai


@pytest.fixture
def gclient(vertex, setup) -> genai.Client:
    _, token = setup
    return genai.Client(vertexai=True, project=vertex.project_id, location="us-central1",
                        credentials=Credentials(token=token),
                        http_options=types.HttpOptions(base_url=vertex.base_url, api_version="v1"))


GEMINI_TOOL = types.Tool(function_declarations=[types.FunctionDeclaration(
    name="get_weather", description="Weather for a city", parameters_json_schema=WEATHER_SCHEMA)])


def gemini_cases():
    return {
        "plain": ("flash", "gemini-2.0-flash", {"contents": "Hello"}, {"messages": [{"role": "user", "content": "Hello"}]}),
        "system, sampling, thinking and a forced tool": (
            "flash25", "gemini-2.5-flash",
            {"contents": "What is the weather in Paris?", "config": types.GenerateContentConfig(
                system_instruction="Be brief.", temperature=0.5, top_p=0.9, max_output_tokens=50,
                stop_sequences=["END"], seed=7, thinking_config=types.ThinkingConfig(thinking_budget=1024),
                tools=[GEMINI_TOOL], tool_config=types.ToolConfig(function_calling_config=types.FunctionCallingConfig(
                    mode="ANY", allowed_function_names=["get_weather"])))},
            {"messages": [{"role": "system", "content": "Be brief."},
                          {"role": "user", "content": "What is the weather in Paris?"}],
             "temperature": 0.5, "top_p": 0.9, "max_tokens": 50, "stop": "END", "seed": 7,
             "reasoning_effort": "low", "tools": [OPENAI_TOOL],
             "tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
        ),
        "json schema": (
            "flash", "gemini-2.0-flash",
            {"contents": "Reply as JSON.", "config": types.GenerateContentConfig(
                response_mime_type="application/json", response_json_schema=WEATHER_SCHEMA)},
            {"messages": [{"role": "user", "content": "Reply as JSON."}],
             "response_format": {"type": "json_schema", "json_schema": {"name": "w", "schema": WEATHER_SCHEMA}}},
        ),
        "images, function call and function response history": (
            "flash", "gemini-2.0-flash",
            {"contents": [
                types.Content(role="user", parts=[
                    types.Part.from_text(text="Where is this? Weather there?"),
                    types.Part.from_bytes(data=base64.b64decode(PNG), mime_type="image/png"),
                    types.Part.from_uri(file_uri="https://example.com/cat.png", mime_type="image/png")]),
                types.Content(role="model", parts=[
                    types.Part.from_function_call(name="get_weather", args={"city": "Paris"})]),
                types.Content(role="user", parts=[
                    types.Part.from_function_response(name="get_weather", response={"temp": 21})]),
            ], "config": types.GenerateContentConfig(tools=[GEMINI_TOOL])},
            {"tools": [OPENAI_TOOL], "messages": [
                {"role": "user", "content": [
                    {"type": "text", "text": "Where is this? Weather there?"},
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "call_1", "type": "function",
                     "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": json.dumps({"temp": 21})}]},
        ),
    }


@pytest.mark.parametrize("case", list(gemini_cases()))
async def test_gemini_generate_content_matches_google_genai(vertex, setup, gclient, case):
    router, _ = setup
    alias, target, sdk_input, openai_input = gemini_cases()[case]
    gclient.models.generate_content(model=target, **sdk_input)
    sdk = last(vertex, ":generateContent")
    vertex.clear_requests()
    await router.chat({"model": alias, **openai_input})
    ours = last(vertex, ":generateContent")

    assert ours["path"] == f"/v1/projects/demo-project/locations/us-central1/publishers/google/models/{target}:generateContent"
    assert_same(sdk, ours, camelcase=True)


async def test_gemini_generate_content_stream_matches_google_genai(vertex, setup, gclient):
    router, _ = setup
    alias, target, sdk_input, openai_input = gemini_cases()["system, sampling, thinking and a forced tool"]
    list(gclient.models.generate_content_stream(model=target, **sdk_input))
    sdk = last(vertex, ":streamGenerateContent")
    vertex.clear_requests()
    stream = await router.chat_stream({"model": alias, "stream": True, **openai_input})
    chunks = [chunk async for chunk in stream]
    ours = last(vertex, ":streamGenerateContent")

    assert chunks and ours["query"] == {"alt": "sse"}
    assert_same(sdk, ours, camelcase=True)


async def test_gemini_count_tokens_matches_google_genai(vertex, setup, gclient):
    router, _ = setup
    sdk_count = gclient.models.count_tokens(model="gemini-2.0-flash", contents="Hello there")
    sdk = last(vertex, ":countTokens")
    vertex.clear_requests()
    result = await router.count_tokens({"model": "flash", "messages": [{"role": "user", "content": "Hello there"}]})
    ours = last(vertex, ":countTokens")

    assert_same(sdk, ours, camelcase=True)
    assert result.response["input_tokens"] == sdk_count.total_tokens


async def test_embeddings_match_google_genai_embed_content(vertex, setup, gclient):
    router, _ = setup
    sdk_answer = gclient.models.embed_content(
        model="text-embedding-005", contents=["first text", "second text"],
        config=types.EmbedContentConfig(task_type="RETRIEVAL_DOCUMENT", title="Doc", output_dimensionality=16,
                                        auto_truncate=False))
    sdk = last(vertex, "text-embedding-005:predict")
    vertex.clear_requests()
    result = await router.embeddings({"model": "embed", "input": ["first text", "second text"], "dimensions": 16,
                                      "task_type": "RETRIEVAL_DOCUMENT", "title": "Doc", "autoTruncate": False})
    ours = last(vertex, "text-embedding-005:predict")

    assert_same(sdk, ours)
    assert [d["embedding"] for d in result.response["data"]] == [e.values for e in sdk_answer.embeddings]
    assert [d["statistics"]["token_count"] for d in result.response["data"]] == [
        e.statistics.token_count for e in sdk_answer.embeddings]
