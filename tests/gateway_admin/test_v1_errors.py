"""Who may call /v1, and what a caller sees when something is wrong: always OpenAI-style JSON."""

from __future__ import annotations

import json

import openai
import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

CHAT = {"model": "gemini-2.0-flash", "messages": [{"role": "user", "content": "hi"}]}


def assert_openai_error(response, status, *, code=None, param=None):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code
    if param is not None:
        assert error["param"] == param
    return error


@pytest.fixture
def token(developer_user, api_token_factory):
    return api_token_factory(developer_user)


def post(live_v1, token, body=CHAT, path="/v1/chat/completions"):
    return live_v1.http.post(path, json=body, headers={"Authorization": f"Bearer {token}"})


def test_a_call_without_a_token_gets_401(live_v1, demo_key):
    error = assert_openai_error(live_v1.http.post("/v1/chat/completions", json=CHAT), 401, code="invalid_api_key")
    assert "Bearer" in error["message"]


def test_a_bad_token_gets_401_through_the_sdk(live_v1, demo_key):
    with pytest.raises(openai.AuthenticationError) as caught:
        live_v1.openai("vga_not-a-real-token").chat.completions.create(**CHAT)
    assert caught.value.status_code == 401
    assert caught.value.body["code"] == "invalid_api_key"


def test_a_revoked_or_expired_token_gets_401(live_v1, demo_key, developer_user, admin_user, api_token_factory):
    from gateway_admin.models import ApiToken
    from gateway_admin.services.tokens import api_token_revoke

    raw = api_token_factory(developer_user, name="soon revoked")
    assert post(live_v1, raw).status_code == 200
    api_token_revoke(actor=admin_user, token=ApiToken.objects.get(name="soon revoked"))
    # The token was cached by the call above; the revoke itself evicts it (no cache reset here).
    assert_openai_error(post(live_v1, raw), 401)

    expiring = api_token_factory(developer_user, name="expiring", expires_at=timezone.now() + timezone.timedelta(days=1))
    ApiToken.objects.filter(name="expiring").update(expires_at=timezone.now() - timezone.timedelta(seconds=1))
    assert_openai_error(post(live_v1, expiring), 401)


def test_a_token_revoked_over_the_config_api_is_refused_by_v1_at_once(live_v1, demo_key, developer_user,
                                                                     admin_token, api_token_factory):
    from gateway_admin.models import ApiToken

    raw = api_token_factory(developer_user, name="revoked over the API")
    assert post(live_v1, raw).status_code == 200
    pk = ApiToken.objects.get(name="revoked over the API").pk
    revoked = live_v1.http.post(f"/api/v1/tokens/{pk}/revoke/", headers={"Authorization": f"Bearer {admin_token}"})
    assert revoked.status_code == 200, revoked.text

    assert_openai_error(post(live_v1, raw), 401)


def test_a_model_outside_the_token_scope_gets_403(live_v1, demo_key, developer_user, api_token_factory):
    client = live_v1.openai(api_token_factory(developer_user, model_scopes=["gemini-2.0-flash"]))
    with pytest.raises(openai.PermissionDeniedError) as caught:
        client.chat.completions.create(model="claude-sonnet-4-5", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.body["code"] == "model_not_allowed"
    assert caught.value.body["param"] == "model"
    # The scoped model works, with or without the vertex/ prefix, and the list shows only it.
    assert client.chat.completions.create(**CHAT).choices[0].message.content
    assert client.chat.completions.create(**{**CHAT, "model": "vertex/gemini-2.0-flash"}).model == "gemini-2.0-flash"
    assert [m.id for m in client.models.list().data] == ["gemini-2.0-flash"]


def test_an_unknown_model_gets_404(live_v1, demo_key, token):
    error = assert_openai_error(post(live_v1, token, {**CHAT, "model": "gpt-4o"}), 404, code="model_not_found",
                                param="model")
    assert "gpt-4o" in error["message"]
    with pytest.raises(openai.NotFoundError):
        live_v1.openai(token).chat.completions.create(**{**CHAT, "model": "vertex/nope"})


def test_going_over_the_rate_limit_gets_429_with_retry_after(live_v1, demo_key, developer_user, api_token_factory):
    raw = api_token_factory(developer_user, rpm_limit=2)
    assert post(live_v1, raw).status_code == 200
    assert post(live_v1, raw).status_code == 200
    response = post(live_v1, raw)
    error = assert_openai_error(response, 429, code="rate_limit_exceeded")
    assert error["type"] == "rate_limit_error"
    assert 1 <= int(response.headers["Retry-After"]) <= 30  # one slot of a 2-per-minute budget
    assert "Try again in 30 s" in error["message"] or "Try again in 29 s" in error["message"]
    with pytest.raises(openai.RateLimitError):
        live_v1.openai(raw).chat.completions.create(**CHAT)
    # Another token of the same user has its own budget.
    assert post(live_v1, api_token_factory(developer_user, rpm_limit=2)).status_code == 200


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": [{"role": "user", "content": "hi"}]}, "model"),
        ({"model": "gemini-2.0-flash"}, "messages"),
        ({**CHAT, "messages": [{"role": "robot", "content": "hi"}]}, "messages[0].role"),
        ({**CHAT, "temperature": 7}, "temperature"),
        ({**CHAT, "max_tokens": 0}, "max_tokens"),
        ({**CHAT, "stream": "yes"}, "stream"),
    ],
)
def test_a_malformed_request_gets_400_naming_the_field(live_v1, demo_key, token, body, param):
    assert_openai_error(post(live_v1, token, body), 400, param=param)


def test_a_body_that_is_not_json_gets_400(live_v1, demo_key, token):
    response = live_v1.http.post("/v1/chat/completions", content=b"{not json",
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert "not valid JSON" in assert_openai_error(response, 400)["message"]


def test_unknown_paths_and_wrong_methods_answer_in_json(live_v1, demo_key, token):
    assert_openai_error(live_v1.http.get("/v1/assistants"), 404, code="unknown_url")
    response = live_v1.http.get("/v1/chat/completions", headers={"Authorization": f"Bearer {token}"})
    assert_openai_error(response, 405)
    assert response.headers["Allow"] == "POST"


def test_an_upstream_429_gets_429_with_retry_after(live_v1, demo_key, token, vertex):
    # Every attempt (retries, then the failover regions) sees Vertex's 429.
    vertex.add_fault(status=429, retry_after=1, model="gemini-2.0-flash")
    response = post(live_v1, token)
    error = assert_openai_error(response, 429)
    assert error["type"] == "rate_limit_error"
    assert response.headers["Retry-After"] == "1"
    assert len(vertex.requests("gemini-2.0-flash")) > 1  # routing retried before giving up


def test_an_upstream_404_is_a_404_with_routing_s_explanation(live_v1, demo_key, token, vertex):
    vertex.add_fault(status=404, model="gemini-2.0-flash")
    error = assert_openai_error(post(live_v1, token), 404)
    assert "gemini-2.0-flash" in error["message"]


def test_a_stream_cut_midway_ends_with_an_error_event(live_v1, demo_key, token, vertex):
    vertex.add_fault(cut_after=2, model="gemini-2.0-flash")
    with live_v1.http.stream("POST", "/v1/chat/completions", json={**CHAT, "stream": True},
                             headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        frames = [line for line in response.iter_lines() if line]
    assert frames[0].startswith("data: {")
    assert '"error"' in frames[-1]
    assert "data: [DONE]" not in frames
    with pytest.raises(openai.APIError):
        list(live_v1.openai(token).chat.completions.create(**CHAT, stream=True))


def test_a_responses_stream_cut_midway_ends_with_an_error_event(live_v1, demo_key, token, vertex):
    vertex.add_fault(cut_after=2, model="gemini-2.0-flash")
    body = {"model": "gemini-2.0-flash", "input": "Tell me a story", "stream": True}
    with live_v1.http.stream("POST", "/v1/responses", json=body,
                             headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status_code == 200
        text = response.read().decode()
    events = [block.split("\n") for block in text.strip().split("\n\n")]
    assert events[0][0] == "event: response.created"
    name, data = events[-1]
    assert name == "event: error"
    error = json.loads(data.removeprefix("data: "))
    assert error["type"] == "error" and error["message"] and error["code"]
    sequence = [json.loads(d.removeprefix("data: "))["sequence_number"] for _, d in events]
    assert sequence == sorted(sequence) and len(set(sequence)) == len(sequence)


@pytest.mark.parametrize("change", [{"role": None}, {"is_active": False}])
def test_a_token_stops_working_when_its_owner_loses_access(live_v1, demo_key, developer_user, admin_user,
                                                          api_token_factory, change):
    from django.test import Client

    raw = api_token_factory(developer_user, name="owner loses access")
    assert post(live_v1, raw).status_code == 200  # now cached in the server's process
    admin = Client()
    admin.force_login(admin_user)
    response = admin.patch(f"/api/v1/users/{developer_user.pk}/", change, content_type="application/json")
    assert response.status_code == 200, response.content
    # The process that changed the user evicts the owner's tokens at once (no cache reset here).
    assert_openai_error(post(live_v1, raw), 401, code="invalid_api_key")
    assert_openai_error(live_v1.http.get("/v1/models", headers={"Authorization": f"Bearer {raw}"}), 401)
    # The config API refuses the token too.
    assert live_v1.http.get("/api/v1/models/", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_a_token_of_a_user_without_a_role_is_refused_after_the_cache_window(live_v1, demo_key, developer_user,
                                                                          api_token_factory):
    from gateway_admin.permissions import set_user_role
    from gateway_admin.services.tokens import token_cache_clear

    raw = api_token_factory(developer_user, name="role removed elsewhere")
    assert post(live_v1, raw).status_code == 200
    set_user_role(developer_user, None)  # as another web process would: no eviction here
    token_cache_clear()  # the GATEWAY_TOKEN_CACHE_SECONDS window has passed
    assert_openai_error(post(live_v1, raw), 401)


@pytest.mark.parametrize("depth", [65, 450, 1020, 5000])
def test_messages_nested_too_deep_get_a_400_without_a_traceback(live_v1, demo_key, token, caplog, depth):
    from gateway_admin.json_limits import MAX_JSON_DEPTH

    content = "[" * depth + "]" * depth
    raw = '{"model": "gemini-2.0-flash", "messages": [{"role": "user", "content": ' + content + "}]}"
    response = live_v1.http.post("/v1/chat/completions", content=raw,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    error = assert_openai_error(response, 400, code="too_deep")
    assert str(MAX_JSON_DEPTH) in error["message"]
    assert not [r for r in caplog.records if r.levelname == "ERROR" or r.exc_info]


def test_a_malformed_token_endpoint_reply_is_a_502_upstream_authentication_error(live_v1, demo_key, token, vertex):
    from routing.auth import TOKEN_CACHE

    TOKEN_CACHE.clear()
    vertex.add_fault(path_contains="/token", malformed=True)
    error = assert_openai_error(post(live_v1, token), 502, code="upstream_authentication_error")
    assert "malformed" in error["message"]
    TOKEN_CACHE.clear()


def test_a_body_over_the_upload_limit_gets_413_in_openai_shape(live_v1, demo_key, token, settings):
    settings.GATEWAY_MAX_BODY_BYTES = 5_000_000
    big = b'{"model": "gemini-2.0-flash", "messages": [{"role": "user", "content": "' + b"x" * 20_000_000 + b'"}]}'
    response = live_v1.http.post("/v1/chat/completions", content=big,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert_openai_error(response, 413, code="request_too_large")


def test_an_unreachable_vertex_is_reported_by_region_and_model_not_host(live_v1, demo_key, token, settings):
    import socket

    from gateway_admin import pipeline

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.VERTEX_BASE_URL = f"http://127.0.0.1:{port}"  # a closed private address
    pipeline.reset()
    error = assert_openai_error(post(live_v1, token), 502)
    assert "Vertex AI in " in error["message"] and "gemini-2.0-flash" in error["message"]  # the last region tried
    assert "127.0.0.1" not in error["message"] and str(port) not in error["message"]


def test_the_depth_limit_holds_exactly_whatever_braces_strings_contain():
    from django.test import RequestFactory

    from gateway_admin.json_limits import MAX_JSON_DEPTH
    from gateway_admin.pipeline.errors import GatewayError
    from gateway_admin.surfaces.http import read_json_object

    def body(depth: int, text: str = "") -> dict:
        nested = "[" * (depth - 1) + "]" * (depth - 1)  # the top-level object is level 1
        raw = '{"text": "' + text + '", "x": ' + nested + "}"
        return read_json_object(RequestFactory().post("/v1/chat/completions", data=raw,
                                                      content_type="application/json"))

    assert body(MAX_JSON_DEPTH)["text"] == ""
    # Braces inside strings are not nesting: many of them, and still a shallow body.
    assert body(3, "{[" * 200)["text"] == "{[" * 200
    with pytest.raises(GatewayError) as refused:
        body(MAX_JSON_DEPTH + 1)
    assert refused.value.code == "too_deep"
