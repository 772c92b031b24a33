"""Every custom model GET /v1/models lists is callable, also one that no deployment alias names."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from gateway_admin.models import ModelListing
from gateway_admin.services.keys import key_update
from gateway_admin.services.listings import models_refresh

pytestmark = pytest.mark.django_db(transaction=True)

UNALIASED = "2345678901"  # the emulator's deployed demo model "claims-classifier"
HI = [{"role": "user", "content": "hi"}]


@pytest.fixture
def token(developer_user, api_token_factory):
    return api_token_factory(developer_user)


def listed_custom(key) -> list[str]:
    return [e["id"] for e in ModelListing.objects.get(key=key).entries if e["source"] == "custom"]


def test_a_listed_custom_model_without_alias_answers_chat_under_its_endpoint_id(live_v1, vertex, demo_key, token):
    models_refresh(key_id=demo_key.pk)
    assert UNALIASED in listed_custom(demo_key)
    client = live_v1.openai(token)
    assert UNALIASED in [m.id for m in client.models.list().data]
    vertex.clear_requests()

    completion = client.chat.completions.create(model=UNALIASED, messages=HI)

    assert completion.model == UNALIASED
    assert completion.choices[0].message.content
    calls = vertex.requests(f"/endpoints/{UNALIASED}:")
    assert len(calls) == 1 and "/locations/us-central1/" in calls[0]["path"]
    stream = client.chat.completions.create(model=UNALIASED, messages=HI, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)


def test_allowed_models_still_decide_which_custom_models_are_callable(live_v1, vertex, demo_key, token, admin_user):
    key_update(actor=admin_user, key=demo_key, config={"allowedModels": ["gemini-2.0-flash", UNALIASED]},
               partial=True)
    models_refresh(key_id=demo_key.pk)
    assert listed_custom(demo_key) == [UNALIASED]
    client = live_v1.openai(token)
    assert sorted(m.id for m in client.models.list().data) == sorted(["gemini-2.0-flash", UNALIASED])

    assert client.chat.completions.create(model=UNALIASED, messages=HI).choices[0].message.content
    other = live_v1.http.post("/v1/chat/completions", json={"model": "1234567890", "messages": HI},
                              headers={"Authorization": f"Bearer {token}"})
    assert other.status_code == 404, other.text


def test_the_playground_calls_an_unaliased_custom_model(developer_client, vertex, demo_key) -> None:
    from gateway_admin.models import RequestLog
    from gateway_admin.services.request_log import request_log_flush

    models_refresh(key_id=demo_key.pk)
    body = {"model": UNALIASED, "messages": HI, "stream": True}
    response = developer_client.post(reverse("playground-send"), data=json.dumps(body),
                                      content_type="application/json")
    events = [json.loads(line) for line in b"".join(response.streaming_content).splitlines() if line.strip()]

    assert events[-1]["event"] == "done", events[-1]
    assert events[-1]["route"]["target"] == UNALIASED and events[-1]["text"]
    assert request_log_flush()
    assert RequestLog.objects.get(source="playground").target == UNALIASED
