"""AnthropicVertex and google-genai, pointed at the gateway's /vertex/ with only base_url and the token changed.

What reaches the emulator through the gateway must be what the same SDK sends the emulator
directly (apart from host, token, the gateway's own project and region, and dropped betas); the
answers come back as Vertex sent them, a 429 fails over before the first byte, a cut stream ends
with the stream's own error event, and bad input gets a Google-shaped error with nothing sent.
"""

from __future__ import annotations

import re

import anthropic
import httpx
import pytest
from google import genai
from google.genai import types
from google.oauth2.credentials import Credentials

from tests.fixtures.native_clients import emulator_access_token

pytestmark = pytest.mark.django_db(transaction=True)

CLAUDE_ID = "claude-sonnet-4-5@20250929"
GEMINI = "gemini-2.0-flash"
HELLO = [{"role": "user", "content": "Say hello"}]
_LOCATION = re.compile(r"^/v1(?:beta1)?/projects/[^/]+/locations/([^/]+)/(.*)$")


def where(record: dict) -> tuple[str, str]:
    """(location, resource) of an emulator request record."""
    match = _LOCATION.match(record["path"])
    assert match, record["path"]
    return match.group(1), match.group(2)


@pytest.fixture
def token(live_v1, demo_key, developer_user, api_token_factory):
    return api_token_factory(developer_user, name="vertex-sdk")


def claude_via_gateway(live_v1, token, region="us-central1"):
    return anthropic.AnthropicVertex(region=region, project_id="the-clients-project", access_token=token,
                                     base_url=live_v1.url + "/vertex/v1", max_retries=0, timeout=30)


def claude_direct(vertex):
    return anthropic.AnthropicVertex(region="us-central1", project_id=vertex.project_id,
                                     access_token=emulator_access_token(vertex), base_url=vertex.base_url + "/v1",
                                     max_retries=0, timeout=30)


def genai_via_gateway(live_v1, token):
    return genai.Client(vertexai=True, project="the-clients-project", location="us-central1",
                        credentials=Credentials(token=token),
                        http_options=types.HttpOptions(base_url=live_v1.url + "/vertex/"))


def genai_direct(vertex):
    return genai.Client(vertexai=True, project=vertex.project_id, location="us-central1",
                        credentials=Credentials(token=emulator_access_token(vertex)),
                        http_options=types.HttpOptions(base_url=vertex.base_url + "/"))


def same_call(vertex, run_direct, run_gateway, *, path_contains: str) -> tuple[dict, dict]:
    """Run the SDK call directly, then through the gateway; the two emulator records."""
    vertex.clear_requests()
    run_direct()
    (direct,) = vertex.requests(path_contains=path_contains)
    vertex.clear_requests()
    run_gateway()
    (through,) = vertex.requests(path_contains=path_contains)
    assert where(through)[1] == where(direct)[1]
    assert through["path"].split("/projects/")[0] == direct["path"].split("/projects/")[0]  # v1 or v1beta1
    assert through["body"] == direct["body"]
    assert through["query"] == direct["query"]
    return direct, through


# -- AnthropicVertex ---------------------------------------------------------------------------------


def test_anthropic_vertex_messages_reach_vertex_as_the_sdk_sends_them(live_v1, token, vertex, logged_entries):
    def call(client):
        return lambda: client.messages.create(model=CLAUDE_ID, max_tokens=128, system="Be brief.", messages=HELLO)

    _direct, through = same_call(vertex, call(claude_direct(vertex)),
                                call(claude_via_gateway(live_v1, token, region="europe-west4")),
                                path_contains=":rawPredict")
    # The client's project chose nothing: the gateway's key did. Its location is a preference the
    # demo key's region failover ("any") allows, in a region the catalog does not rule out.
    assert f"/projects/{vertex.project_id}/" in through["path"] and where(through)[0] == "europe-west4"
    assert through["headers"]["authorization"] != f"Bearer {token}"
    message = claude_via_gateway(live_v1, token).messages.create(model=CLAUDE_ID, max_tokens=64, messages=HELLO)
    assert message.content[0].text
    entry = logged_entries[0]
    assert entry.surface == "vertex" and entry.operation == "rawPredict" and entry.model == "claude-sonnet-4-5"
    assert entry.status == 200 and entry.input_tokens > 0 and entry.output_tokens > 0 and entry.key_name == "demo"


def test_anthropic_vertex_streams_tools_thinking_and_count_tokens(live_v1, token, vertex, logged_entries):
    tool = {"name": "get_weather", "description": "Weather", "input_schema": {
        "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}

    def stream(client):
        def run():
            with client.messages.stream(
                    model=CLAUDE_ID, max_tokens=2048, tools=[tool], thinking={"type": "enabled", "budget_tokens": 1024},
                    messages=[{"role": "user", "content": 'Paris? [[call:get_weather {"city": "Paris"}]]'}]) as s:
                final = s.get_final_message()
            assert any(b.type == "tool_use" for b in final.content)
            assert any(b.type == "thinking" for b in final.content)
        return run

    same_call(vertex, stream(claude_direct(vertex)), stream(claude_via_gateway(live_v1, token)),
              path_contains=":streamRawPredict")

    def count(client):
        return lambda: client.messages.count_tokens(model=CLAUDE_ID, messages=HELLO)

    _direct, _through = same_call(vertex, count(claude_direct(vertex)), count(claude_via_gateway(live_v1, token)),
                                path_contains="count-tokens:rawPredict")
    counted = claude_via_gateway(live_v1, token).messages.count_tokens(model=CLAUDE_ID, messages=HELLO)
    assert counted.input_tokens == claude_direct(vertex).messages.count_tokens(model=CLAUDE_ID,
                                                                               messages=HELLO).input_tokens
    streamed = next(e for e in logged_entries if e.operation == "streamRawPredict")
    assert streamed.stream and streamed.ttft_ms is not None and streamed.output_tokens > 0
    assert any(e.operation == "count-tokens" and e.status == 200 for e in logged_entries)


def test_betas_go_through_the_table(live_v1, token, vertex, logged_entries):
    client = claude_via_gateway(live_v1, token)
    client.messages.create(model=CLAUDE_ID, max_tokens=64, messages=HELLO, extra_headers={
        "anthropic-beta": "claude-code-20250219,prompt-caching-scope-2026-01-05"})
    (record,) = vertex.requests(path_contains=":rawPredict")
    assert record["headers"]["anthropic-beta"] == "claude-code-20250219"
    assert logged_entries[0].betas_dropped == ["prompt-caching-scope-2026-01-05"]
    from gateway_admin.models import RequestLog
    from gateway_admin.services.request_log import request_log_flush

    assert request_log_flush(10)
    (row,) = RequestLog.objects.all()
    assert row.surface == "vertex" and row.operation == "rawPredict"
    assert row.betas_dropped == ["prompt-caching-scope-2026-01-05"]


# -- google-genai ------------------------------------------------------------------------------------


def test_genai_generate_stream_and_count_reach_vertex_as_the_sdk_sends_them(live_v1, token, vertex,
                                                                            logged_entries):
    def generate(client):
        return lambda: client.models.generate_content(
            model=GEMINI, contents="Say hello", config=types.GenerateContentConfig(temperature=0.1,
                                                                                   max_output_tokens=64))

    same_call(vertex, generate(genai_direct(vertex)), generate(genai_via_gateway(live_v1, token)),
              path_contains=":generateContent")
    client = genai_via_gateway(live_v1, token)  # a Client closes its connections when collected
    answer = client.models.generate_content(model=GEMINI, contents="Say hello")
    assert answer.text and answer.usage_metadata.prompt_token_count > 0

    def stream(client):
        return lambda: "".join(c.text or "" for c in client.models.generate_content_stream(
            model=GEMINI, contents="Tell me a short story"))

    _direct, through = same_call(vertex, stream(genai_direct(vertex)), stream(genai_via_gateway(live_v1, token)),
                                path_contains=":streamGenerateContent")
    assert through["query"] == {"alt": "sse"}
    direct_client = genai_direct(vertex)
    assert stream(client)() == stream(direct_client)()

    def count(client):
        return lambda: client.models.count_tokens(model=GEMINI, contents="Say hello")

    same_call(vertex, count(genai_direct(vertex)), count(genai_via_gateway(live_v1, token)),
              path_contains=":countTokens")
    assert client.models.count_tokens(model=GEMINI, contents="Say hello").total_tokens > 0
    operations = {e.operation for e in logged_entries}
    assert {"generateContent", "streamGenerateContent", "countTokens"} <= operations
    assert all(e.surface == "vertex" and e.status == 200 for e in logged_entries)
    streamed = next(e for e in logged_entries if e.operation == "streamGenerateContent")
    assert streamed.stream and streamed.ttft_ms is not None and streamed.output_tokens > 0


def test_genai_embed_content(live_v1, token, vertex, media_key):
    def embed(client):
        return lambda: client.models.embed_content(model="text-embedding-005", contents=["hello", "world"])

    same_call(vertex, embed(genai_direct(vertex)), embed(genai_via_gateway(live_v1, token)),
              path_contains="text-embedding-005:")
    client = genai_via_gateway(live_v1, token)
    answer = client.models.embed_content(model="text-embedding-005", contents=["hello", "world"])
    assert len(answer.embeddings) == 2 and answer.embeddings[0].values


def test_a_tuned_endpoint_passes_through(live_v1, token, vertex, demo_key):
    from gateway_admin.services.listings import models_refresh

    models_refresh(key_id=demo_key.pk)
    answer = live_v1.http.post(
        "/vertex/v1/projects/p/locations/us-central1/endpoints/2345678901:generateContent",
        headers={"Authorization": f"Bearer {token}"},
        json={"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["candidates"][0]["content"]["parts"][0]["text"]
    (record,) = vertex.requests(path_contains="/endpoints/2345678901:generateContent")
    assert record["body"] == {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}


# -- faults ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("family", ["claude", "gemini"])
def test_a_429_from_the_first_region_fails_over_before_the_first_byte(live_v1, token, vertex, logged_entries,
                                                                      family):
    model = "claude-sonnet-4-5" if family == "claude" else GEMINI
    vertex.add_fault(status=429, model=model, region="us-central1")
    if family == "claude":
        with claude_via_gateway(live_v1, token).messages.stream(model=CLAUDE_ID, max_tokens=64, messages=HELLO) as s:
            assert "".join(s.text_stream)
    else:
        client = genai_via_gateway(live_v1, token)
        assert "".join(c.text or "" for c in client.models.generate_content_stream(model=GEMINI, contents="Say hello"))
    regions = [where(r)[0] for r in vertex.requests(path_contains=model)]
    assert regions[0] == "us-central1" and regions[-1] != "us-central1"
    (entry,) = logged_entries
    assert entry.status == 200 and entry.failovers == 1 and entry.attempts == len(regions)
    assert entry.region == regions[-1]


def test_a_stream_cut_after_the_first_byte_ends_with_the_streams_own_error_event(live_v1, token, vertex,
                                                                                 logged_entries):
    auth = {"Authorization": f"Bearer {token}"}
    base = "/vertex/v1/projects/p/locations/us-central1/publishers"
    vertex.add_fault(cut_after=2)
    claude = live_v1.http.post(f"{base}/anthropic/models/{CLAUDE_ID}:streamRawPredict", headers=auth, json={
        "anthropic_version": "vertex-2023-10-16", "max_tokens": 64, "stream": True, "messages": HELLO})
    assert claude.status_code == 200
    events = [e for e in re.split(r"\r?\n\r?\n", claude.text) if e.strip()]
    assert events[0].startswith("event: message_start")
    assert events[-1].startswith("event: error\ndata: ")
    assert httpx.Response(200, content=events[-1].split("data: ", 1)[1]).json()["type"] == "error"

    gemini = live_v1.http.post(f"{base}/google/models/{GEMINI}:streamGenerateContent?alt=sse", headers=auth,
                               json={"contents": [{"role": "user", "parts": [{"text": "Tell me a long story"}]}]})
    assert gemini.status_code == 200
    events = [e for e in re.split(r"\r?\n\r?\n", gemini.text) if e.strip()]
    last = httpx.Response(200, content=events[-1].removeprefix("data: ")).json()
    assert set(last["error"]) == {"code", "message", "status"} and last["error"]["status"] == "INTERNAL"
    assert "candidates" in httpx.Response(200, content=events[0].removeprefix("data: ")).json()
    assert len(vertex.requests(path_contains=":stream")) == 2  # never retried after the first byte
    assert [e.status for e in logged_entries] == [502, 502]


# -- bad input ---------------------------------------------------------------------------------------


def test_bad_input_gets_google_errors_and_nothing_reaches_vertex(live_v1, token, vertex, developer_user,
                                                                 api_token_factory):
    auth = {"Authorization": f"Bearer {token}"}
    scoped = {"x-goog-api-key": api_token_factory(developer_user, name="scoped", model_scopes=[GEMINI])}
    base = "/vertex/v1/projects/p/locations/us-central1/publishers"
    gen = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    cases = [
        ("post", f"{base}/google/models/gemini-nope:generateContent", auth, gen, 404, "NOT_FOUND"),
        ("post", f"{base}/anthropic/models/{CLAUDE_ID}:rawPredict", scoped, {"messages": HELLO}, 403,
         "PERMISSION_DENIED"),
        ("post", f"{base}/google/models/{GEMINI}:generateContent", {}, gen, 401, "UNAUTHENTICATED"),
        ("post", f"{base}/google/models/{GEMINI}:generateContent", {"Authorization": "Bearer vga_nope"}, gen, 401,
         "UNAUTHENTICATED"),
        ("post", f"{base}/google/models/{GEMINI}:deleteEverything", auth, gen, 404, "NOT_FOUND"),
        ("post", "/vertex/v2/projects/p/locations/us-central1/publishers/google/models/x:generateContent", auth, gen,
         404, "NOT_FOUND"),
        ("post", "/vertex/v1/projects/p/locations/us-central1/models", auth, gen, 404, "NOT_FOUND"),
        ("post", f"{base}/anthropic/models/count-tokens:streamRawPredict", auth, gen, 404, "NOT_FOUND"),
        ("post", f"{base}/anthropic/models/count-tokens:rawPredict", auth, {"messages": HELLO}, 400,
         "INVALID_ARGUMENT"),
        ("post", f"{base}/google/models/{GEMINI}:rawPredict", auth, gen, 400, "INVALID_ARGUMENT"),
        ("get", f"{base}/google/models/{GEMINI}:generateContent", auth, None, 405, "UNIMPLEMENTED"),
    ]
    for method, path, headers, body, status, word in cases:
        answer = live_v1.http.request(method.upper(), path, headers=headers, json=body)
        assert answer.status_code == status, (path, answer.text)
        error = answer.json()["error"]
        assert error["code"] == status and error["status"] == word and error["message"], path
    for content in (b"{not json", b"[1, 2]"):
        answer = live_v1.http.post(f"{base}/google/models/{GEMINI}:generateContent", headers=auth, content=content)
        assert answer.status_code == 400 and answer.json()["error"]["status"] == "INVALID_ARGUMENT"
    # (The key's model listing, a GET of .../models, may run in the background: it is no call.)
    assert [r["path"] for r in vertex.requests(path_contains="/projects/") if r["method"] == "POST"] == []


def test_the_clients_location_is_no_preference_when_the_key_stays_in_its_region(live_v1, token, vertex, demo_key,
                                                                                 admin_user):
    from gateway_admin.services.keys import key_update

    key_update(actor=admin_user, key=demo_key, config=None, partial=True, region_failover="off")
    claude_via_gateway(live_v1, token, region="europe-west4").messages.create(model=CLAUDE_ID, max_tokens=32,
                                                                            messages=HELLO)
    (record,) = vertex.requests(path_contains=":rawPredict")
    assert where(record)[0] == "us-central1"
