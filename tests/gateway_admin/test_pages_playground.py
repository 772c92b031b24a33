"""The playground endpoint: validation beside fields, streamed events through the real Router to the
emulator, the route and attempts reported, secrets removed, and one request-log row per call."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from gateway_admin.models import RequestLog
from gateway_admin.services.request_log import request_log_flush
from gateway_admin.web.playground import sanitize


@pytest.fixture
def log_flushed(transactional_db):
    """Rows queued by the request-log writer are written before the test database goes away."""
    yield
    request_log_flush()


def _events(response) -> list[dict]:
    body = b"".join(response.streaming_content)
    return [json.loads(line) for line in body.splitlines() if line.strip()]


def _send(client, **payload):
    body = {"model": "gemini-2.0-flash", "messages": [{"role": "user", "content": "Say hello"}],
            "stream": True, **payload}
    return client.post(reverse("playground-send"), data=json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_it_refuses_bad_input_naming_each_field(developer_client):
    response = _send(developer_client, model="", temperature="hot", max_tokens=0, key_id="abc",
                     messages=[{"role": "robot", "content": "x"}])
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"model", "temperature", "max_tokens", "key_id", "messages"}
    assert "0 to 2" in errors["temperature"]


@pytest.mark.django_db
def test_it_refuses_a_conversation_that_does_not_end_with_the_user(developer_client):
    response = _send(developer_client, messages=[{"role": "assistant", "content": "hi"}])
    assert response.status_code == 400
    assert "messages" in response.json()["errors"]


@pytest.mark.django_db(transaction=True)
def test_a_streamed_prompt_returns_text_route_timings_and_a_log_row(developer_client, demo_key, vertex, log_flushed):
    response = _send(developer_client, system="Be brief.", temperature=0.2, max_tokens=64)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    events = _events(response)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done"
    assert "delta" in kinds
    done = events[-1]
    assert done["text"] == "".join(e["text"] for e in events if e["event"] == "delta")
    assert done["text"]
    assert done["route"]["key_name"] == "demo"
    assert done["route"]["region"]
    assert done["route"]["host"]
    assert done["attempts"] and done["attempts"][-1]["status"] == 200
    assert done["ttft_ms"] is not None and done["latency_ms"] >= done["ttft_ms"]
    assert done["usage"]["completion_tokens"] > 0
    raw = json.dumps(done["raw_request"])
    assert "Bearer ya29" not in raw and "private_key" not in raw.replace('"private_key": "[redacted]"', "")
    assert events[0]["request"]["messages"][0] == {"role": "system", "content": "Be brief."}
    # The emulator really received the call, with the prompt.
    assert any("gemini-2.0-flash" in r["path"] for r in vertex.requests(":streamGenerateContent"))
    assert request_log_flush()
    row = RequestLog.objects.get()
    assert row.source == RequestLog.Source.PLAYGROUND
    assert row.status == 200 and row.stream and row.key_id == demo_key.pk
    assert row.ttft_ms is not None and row.output_tokens


@pytest.mark.django_db(transaction=True)
def test_a_non_streamed_prompt_returns_the_whole_answer_and_raw_response(developer_client, demo_key, vertex, log_flushed):
    events = _events(_send(developer_client, stream=False))
    done = events[-1]
    assert done["event"] == "done"
    assert done["text"]
    assert done["raw_response"]["status"] == 200
    assert done["ttft_ms"] is None


@pytest.mark.django_db(transaction=True)
def test_a_429_in_the_first_region_shows_the_failover(developer_client, demo_key, vertex, log_flushed):
    vertex.add_fault(status=429, region="us-central1", model="gemini-2.0-flash")
    done = _events(_send(developer_client))[-1]
    assert done["event"] == "done", done
    statuses = [a["status"] for a in done["attempts"]]
    assert 429 in statuses and statuses[-1] == 200
    assert any(a["failover"] for a in done["attempts"])
    assert done["route"]["region"] != "us-central1"


@pytest.mark.django_db(transaction=True)
def test_an_upstream_failure_is_reported_as_an_error_event_and_logged(developer_client, demo_key, vertex, log_flushed):
    vertex.add_fault(status=400, model="gemini-2.0-flash")
    events = _events(_send(developer_client))
    error = events[-1]
    assert error["event"] == "error"
    assert error["status"] >= 400 and error["message"]
    assert request_log_flush()
    assert RequestLog.objects.get().status == error["status"]


@pytest.mark.django_db(transaction=True)
def test_pinning_a_key_routes_through_that_key(developer_client, demo_key, vertex, log_flushed):
    done = _events(_send(developer_client, key_id=demo_key.pk))[-1]
    assert done["event"] == "done"
    assert done["route"]["key_id"] == str(demo_key.pk)


def test_sanitize_removes_tokens_keys_and_credentials():
    dirty = {
        "headers": {"Authorization": "Bearer ya29.secret", "Content-Type": "application/json"},
        "url": "https://x/y?key=AIzaSECRET&alt=sse",
        "body": {"text": "token ya29.abcdef and vga_" + "x" * 30,
                 "auth_credentials": "{...}",
                 "nested": [{"private_key": "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----"}]},
    }
    clean = json.dumps(sanitize(dirty))
    for secret in ("ya29.secret", "AIzaSECRET", "ya29.abcdef", "vga_xxxx", "BEGIN PRIVATE KEY", '"{...}"'):
        assert secret not in clean
    assert "application/json" in clean and "alt=sse" in clean


@pytest.mark.django_db
def test_the_model_pickers_offer_only_models_that_can_chat(developer_client, admin_user):
    from django.utils import timezone

    from gateway_admin.models import ModelListing
    from gateway_admin.services.keys import key_create

    deployments = {"flash": "gemini-2.0-flash", "llama": "meta/llama-3.3-70b-instruct-maas",
                   "embed": "text-embedding-005", "imagen": "imagen-3.0-generate-002", "veo": "veo-3.0-generate-001"}
    key, _ = key_create(actor=admin_user, name="media", config={
        "project_id": "media-project", "region": "us-central1", "auth_credentials": "", "deployments": deployments})
    ModelListing.objects.create(key=key, fetched_at=timezone.now(), entries=[
        {"id": alias, "display_name": alias, "source": "deployment", "target": target}
        for alias, target in deployments.items()])

    html = developer_client.get(reverse("playground")).content.decode()
    pickers = html.split('id="pg-model"')[1].split("</select>")[0], html.split('id="pg-model2"')[1].split("</select>")[0]
    for picker in pickers:
        assert 'value="flash"' in picker and 'value="llama"' in picker
        for other in ("embed", "imagen", "veo"):
            assert f'value="{other}"' not in picker
    note = html.split('id="pg-model-help"')[1].split("</p>")[0]
    assert "<code>embed</code> (embeddings)" in note and "<code>imagen</code> (images)" in note
    assert "<code>veo</code> (video)" in note


@pytest.mark.django_db
def test_after_stop_the_page_can_read_the_stopped_calls_route_from_the_log(developer_client, developer_user,
                                                                            admin_user):
    from datetime import timedelta

    from django.utils import timezone

    url = reverse("playground-stopped")
    assert developer_client.get(url, {"model": "gemini-2.0-flash"}).json() == {"found": False}
    old = RequestLog.objects.create(source="playground", user=developer_user, model="gemini-2.0-flash", status=499)
    RequestLog.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(seconds=30))
    RequestLog.objects.create(source="playground", user=admin_user, model="gemini-2.0-flash", status=499)
    assert developer_client.get(url, {"model": "gemini-2.0-flash", "within_ms": "2000"}).json()["found"] is False
    RequestLog.objects.create(
        source="playground", user=developer_user, model="gemini-2.0-flash", status=499, key_name="demo",
        region="us-central1", host="h", target="gemini-2.0-flash", ttft_ms=12.5, latency_ms=640.0,
        route=[{"key_name": "demo", "region": "us-central1", "status": 200, "latency_ms": 600.0}])
    body = developer_client.get(url, {"model": "gemini-2.0-flash", "within_ms": "2000"}).json()
    assert body["found"] is True and body["status"] == 499
    assert body["route"]["key_name"] == "demo" and body["route"]["region"] == "us-central1"
    assert body["ttft_ms"] == 12.5 and body["latency_ms"] == 640.0 and body["attempts"][0]["status"] == 200
