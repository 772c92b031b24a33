"""Every /v1 call leaves one request-log row, written after the answer, with bodies only on request."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from gateway_admin.models import RequestLog
from gateway_admin.services import request_log
from gateway_admin.services.request_log import (
    RequestLogEntry,
    request_log_flush,
    request_log_prune,
    request_log_write,
)

pytestmark = pytest.mark.django_db(transaction=True)

CHAT = {"model": "gemini-2.0-flash", "messages": [{"role": "user", "content": "Say hello"}]}


def rows(**filters):
    assert request_log_flush(10)
    return list(RequestLog.objects.filter(**filters).order_by("created_at"))


def test_a_chat_call_is_logged_with_its_route_and_usage(live_v1, demo_key, developer_user, api_token_factory):
    from gateway_admin.models import ApiToken

    client = live_v1.openai(api_token_factory(developer_user, name="ci"))
    completion = client.chat.completions.create(**CHAT)
    (row,) = rows(operation="chat")
    assert row.source == "api"
    assert row.token == ApiToken.objects.get(name="ci")
    assert row.user == developer_user
    assert row.model == "gemini-2.0-flash"
    assert row.key == demo_key and row.key_name == "demo"
    assert row.region == "us-central1"
    assert row.host.startswith("127.0.0.1")
    assert row.target == "gemini-2.0-flash"
    assert row.status == 200 and row.stream is False
    assert row.latency_ms > 0
    assert row.input_tokens == completion.usage.prompt_tokens
    assert row.output_tokens == completion.usage.completion_tokens
    assert row.attempts == 1 and row.failovers == 0
    assert row.route[0]["status"] == 200 and row.route[0]["region"] == "us-central1"
    # Body logging is off for this token.
    assert row.request_body is None and row.response_body is None


def test_a_stream_is_logged_when_it_ends_with_time_to_first_token(live_v1, demo_key, developer_user,
                                                                  api_token_factory):
    client = live_v1.openai(api_token_factory(developer_user))
    list(client.chat.completions.create(**CHAT, stream=True))
    (row,) = rows(operation="chat")
    assert row.stream is True and row.status == 200
    assert 0 < row.ttft_ms <= row.latency_ms
    assert row.output_tokens > 0


def test_bodies_are_kept_only_for_tokens_with_body_logging(live_v1, demo_key, developer_user, api_token_factory):
    logged = live_v1.openai(api_token_factory(developer_user, name="logged", log_bodies=True))
    answer = logged.chat.completions.create(**CHAT).choices[0].message.content
    streamed = "".join(c.choices[0].delta.content or "" for c in logged.chat.completions.create(**CHAT, stream=True)
                       if c.choices)
    plain = live_v1.openai(api_token_factory(developer_user, name="plain"))
    plain.chat.completions.create(**CHAT)

    first, second = rows(token__name="logged")
    assert first.request_body["messages"] == CHAT["messages"]
    assert first.response_body["choices"][0]["message"]["content"] == answer
    assert second.response_body["content"] == streamed
    (row,) = rows(token__name="plain")
    assert row.request_body is None and row.response_body is None


def test_failed_calls_are_logged_with_their_error(live_v1, demo_key, developer_user, api_token_factory, vertex):
    token = api_token_factory(developer_user, model_scopes=["gemini-2.0-flash"])
    headers = {"Authorization": f"Bearer {token}"}
    live_v1.http.post("/v1/chat/completions", json={**CHAT, "model": "claude-sonnet-4-5"}, headers=headers)
    live_v1.http.post("/v1/chat/completions", json=CHAT, headers={"Authorization": "Bearer vga_wrong"})
    vertex.add_fault(status=400, model="gemini-2.0-flash")
    live_v1.http.post("/v1/chat/completions", json=CHAT, headers=headers)

    forbidden, unauthenticated, upstream = rows()
    assert (forbidden.status, forbidden.error_type, forbidden.model) == (403, "model_not_allowed", "claude-sonnet-4-5")
    assert (unauthenticated.status, unauthenticated.token_id, unauthenticated.error_type) == (401, None, "invalid_api_key")
    assert upstream.status == 400 and upstream.error_message
    assert upstream.key_name == "demo" and upstream.route and upstream.route[0]["status"] == 400


def test_writing_a_row_never_waits_for_the_database(db, monkeypatch):
    # Hold the writer thread inside its INSERT: request_log_write must still return at once.
    entered, release = threading.Event(), threading.Event()
    real_write = request_log._writer.write

    def slow_write(items):
        entered.set()
        release.wait(10)
        real_write(items)

    monkeypatch.setattr(request_log._writer, "write", slow_write)
    request_log_write(RequestLogEntry(model="m", status=200, operation="chat"))
    assert entered.wait(5)
    request_log_write(RequestLogEntry(model="m", status=201, operation="chat"))  # queued while the writer is busy
    assert not request_log_flush(0.05)
    release.set()
    assert request_log_flush(10)
    assert sorted(RequestLog.objects.values_list("status", flat=True)) == [200, 201]


def test_an_entry_refuses_unknown_fields_at_once():
    with pytest.raises(TypeError, match="prompt_text"):
        RequestLogEntry(operation="chat", model="m", status=200, prompt_text="x")  # type: ignore[call-arg]


def test_a_deleted_key_does_not_lose_the_row(demo_key):
    request_log_write(RequestLogEntry(operation="chat", model="m", status=200, key_id=demo_key.pk + 1000, key_name="gone"))
    (row,) = rows(key_name="gone")
    assert row.key_id is None


def test_old_rows_are_pruned_by_the_periodic_task(settings):
    from gateway_admin.tasks import request_log_prune_task

    settings.REQUEST_LOG_RETENTION_DAYS = 30
    for age in (1, 29, 31, 400):
        request_log_write(RequestLogEntry(operation="chat", model=f"age-{age}", status=200))
    request_log_flush(10)
    for age in (1, 29, 31, 400):
        RequestLog.objects.filter(model=f"age-{age}").update(created_at=timezone.now() - timedelta(days=age))
    assert request_log_prune_task.apply().get() == 2
    assert sorted(RequestLog.objects.values_list("model", flat=True)) == ["age-1", "age-29"]
    assert request_log_prune(days=0) == 2


def test_nul_characters_a_client_sent_do_not_lose_the_row():
    # PostgreSQL refuses NUL in text and jsonb; the row is kept without them.
    request_log_write(RequestLogEntry(operation="chat", model="gem\x00ini", status=400, error_message="bad\x00", log_bodies=True,
                      request_body={"messages": [{"content": "a\x00b"}]}))
    (row,) = rows()
    assert (row.model, row.error_message) == ("gemini", "bad")
    assert row.request_body == {"messages": [{"content": "ab"}]}
