"""Every fault the emulator offers, triggered through its HTTP control API or the per-request header."""

from __future__ import annotations

import itertools
import json
import time

import httpx
import pytest

from tests.routing.emulator.conftest import vertex_path

GEMINI = vertex_path("gemini-2.0-flash", "generateContent")
GEMINI_STREAM = vertex_path("gemini-2.0-flash", "streamGenerateContent") + "?alt=sse"
BODY = {"contents": [{"role": "user", "parts": [{"text": "Tell me a long story about mountains"}]}]}
CLAUDE_BODY = {"anthropic_version": "vertex-2023-10-16", "max_tokens": 256, "messages": [{"role": "user", "content": "hi"}]}


def _events(response: httpx.Response) -> list[str]:
    return [line[len("data: "):] for line in response.iter_lines() if line.startswith("data: ")]


def test_a_429_fault_answers_resource_exhausted_with_retry_after(vertex, api):
    vertex.add_fault(status=429, retry_after=7)
    response = api.post(GEMINI, json=BODY)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert response.json()["error"]["code"] == 429


@pytest.mark.parametrize(("status", "name"), [(500, "INTERNAL"), (503, "UNAVAILABLE")])
def test_server_error_faults_answer_googles_error_body(vertex, api, status, name):
    vertex.add_fault(status=status)
    response = api.post(GEMINI, json=BODY)
    assert response.status_code == status
    assert response.json()["error"]["status"] == name


def test_a_fault_scoped_to_a_model_and_region_hits_only_there(vertex, api):
    vertex.add_fault(status=429, model="claude-3-5-haiku", region="us-east5")
    haiku = "claude-3-5-haiku@20241022"
    assert api.post(vertex_path(haiku, "rawPredict", region="us-east5", publisher="anthropic"), json=CLAUDE_BODY).status_code == 429
    assert api.post(vertex_path(haiku, "rawPredict", region="europe-west1", publisher="anthropic"), json=CLAUDE_BODY).status_code == 200
    sonnet = "claude-sonnet-4-5@20250929"
    assert api.post(vertex_path(sonnet, "rawPredict", region="us-east5", publisher="anthropic"), json=CLAUDE_BODY).status_code == 200


def test_a_count_limited_fault_hits_the_next_n_requests_only(vertex, api):
    vertex.add_fault(status=503, times=2)
    codes = [api.post(GEMINI, json=BODY).status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    assert vertex.faults() == []


def test_a_fault_can_be_removed_by_id(vertex, api):
    fault_id = vertex.add_fault(status=500)
    vertex.remove_fault(fault_id)
    assert api.post(GEMINI, json=BODY).status_code == 200


def test_a_delay_fault_holds_the_first_byte(vertex, api):
    vertex.add_fault(delay_ms=300)
    started = time.monotonic()
    response = api.post(GEMINI, json=BODY)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_a_slow_stream_fault_spaces_the_events(vertex, api):
    vertex.add_fault(event_delay_ms=150)
    arrivals = []
    with api.stream("POST", GEMINI_STREAM, json=BODY) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                arrivals.append(time.monotonic())
    assert len(arrivals) >= 3
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert all(gap >= 0.13 for gap in gaps), gaps


def test_events_are_flushed_one_by_one(vertex, api):
    # with a slow stream the first event must reach the client long before the last is written
    vertex.add_fault(event_delay_ms=200)
    started = time.monotonic()
    with api.stream("POST", GEMINI_STREAM, json=BODY) as response:
        lines = response.iter_lines()
        first = next(line for line in lines if line.startswith("data: "))
        first_at = time.monotonic() - started
        list(lines)
    assert json.loads(first[6:])["candidates"][0]["content"]["parts"][0]["text"]
    assert first_at < 0.15


def test_a_stream_cut_closes_the_connection_after_n_events(vertex, api):
    vertex.add_fault(cut_after=2)
    received = []
    with pytest.raises(httpx.RemoteProtocolError):
        with api.stream("POST", GEMINI_STREAM, json=BODY) as response:
            for line in response.iter_lines():
                if line.startswith("data: "):
                    received.append(json.loads(line[6:]))
    assert len(received) == 2
    assert "finishReason" not in received[-1]["candidates"][0]


def test_a_cut_on_a_plain_answer_drops_it_half_way(vertex, api):
    vertex.add_fault(cut_after=0)
    with pytest.raises(httpx.RemoteProtocolError):
        api.post(GEMINI, json=BODY)


def test_a_malformed_fault_breaks_the_json_of_a_plain_answer(vertex, api):
    vertex.add_fault(malformed=True)
    response = api.post(GEMINI, json=BODY)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_a_malformed_fault_breaks_the_first_stream_event(vertex, api):
    vertex.add_fault(malformed=True)
    with api.stream("POST", GEMINI_STREAM, json=BODY) as response:
        events = _events(response)
    with pytest.raises(json.JSONDecodeError):
        json.loads(events[0])
    json.loads(events[1])


def test_a_fault_header_applies_to_that_request_only(vertex, api):
    response = api.post(GEMINI, json=BODY, headers={"x-emulator-fault": "status=503; retry_after=2"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert api.post(GEMINI, json=BODY).status_code == 200


@pytest.mark.parametrize("header", ["429", "cut=1", "malformed", "slow=50", "delay=50"])
def test_fault_header_shorthands_are_understood(vertex, api, header):
    with api.stream("POST", GEMINI_STREAM, json=BODY, headers={"x-emulator-fault": header}) as response:
        try:
            response.read()
        except httpx.RemoteProtocolError:
            assert header == "cut=1"
            return
    assert response.status_code == (429 if header == "429" else 200)
    assert header != "cut=1"


def test_a_bad_fault_is_refused_naming_the_field(vertex, api):
    response = httpx.post(vertex.base_url + "/_emulator/faults", json={"status": 200})
    assert response.status_code == 400
    assert response.json()["error"].startswith("status:")
    response = httpx.post(vertex.base_url + "/_emulator/faults", json={"colour": "red", "status": 500})
    assert response.json()["error"].startswith("colour:")
    bad_header = api.post(GEMINI, json=BODY, headers={"x-emulator-fault": "delay=soon"})
    assert bad_header.status_code == 400
    assert "delay" in bad_header.json()["error"]["message"]


def test_faults_leave_the_token_endpoint_alone_unless_aimed_at_it(vertex):
    vertex.add_fault(status=503)
    data = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "x.y.z"}
    assert httpx.post(vertex.token_uri, data=data).status_code == 400
    vertex.add_fault(status=503, path_contains="/token", times=1)
    assert httpx.post(vertex.token_uri, data=data).status_code == 503


def test_every_request_is_recorded_with_method_path_query_headers_and_body(vertex, api):
    vertex.clear_requests()
    api.post(GEMINI_STREAM, json=BODY, headers={"x-trace": "abc"}).read()
    api.get("/v1/projects/demo-project/locations/us-central1/models", params={"pageSize": 2})
    stream, listing = vertex.requests()
    assert stream["method"] == "POST"
    assert stream["path"].endswith("gemini-2.0-flash:streamGenerateContent")
    assert stream["query"] == {"alt": "sse"}
    assert stream["headers"]["x-trace"] == "abc"
    assert stream["body"] == BODY
    assert listing["method"] == "GET" and listing["query"] == {"pageSize": "2"}
    assert vertex.requests("locations/us-central1/models") == [listing]
    vertex.clear_requests()
    assert vertex.requests() == []


def test_reset_clears_faults_and_records(vertex, api):
    vertex.add_fault(status=500)
    api.post(GEMINI, json=BODY)
    vertex.reset()
    assert vertex.faults() == [] and vertex.requests() == []
    assert api.post(GEMINI, json=BODY).status_code == 200
