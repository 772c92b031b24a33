"""The /v1 fast path under a real ASGI server: no dashboard middleware, streams passed through live."""

from __future__ import annotations

import itertools
import time

import pytest
from django.test import AsyncRequestFactory

from gateway_admin.models import RequestLog
from gateway_admin.openai_api.asgi import V1SecurityMiddleware, with_v1_fast_path
from gateway_admin.services.request_log import request_log_flush

pytestmark = pytest.mark.django_db(transaction=True)

CHAT = {"model": "gemini-2.0-flash", "messages": [{"role": "user", "content": "Tell me a story"}]}


@pytest.fixture
def headers(developer_user, api_token_factory):
    return {"Authorization": f"Bearer {api_token_factory(developer_user)}"}


def test_v1_skips_the_dashboard_middleware_but_keeps_security_headers(live_v1, demo_key, headers):
    api = live_v1.http.get("/v1/models", headers=headers)
    assert api.status_code == 200
    assert api.headers["X-Content-Type-Options"] == "nosniff"
    assert "set-cookie" not in api.headers
    assert "content-security-policy" not in api.headers
    assert "x-frame-options" not in api.headers
    # The dashboard, served by the same application, still goes through its full middleware.
    page = live_v1.http.get("/login/")
    assert page.status_code == 200
    assert "content-security-policy" in page.headers
    assert page.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", [
    "/v1/messages",
    "/vertex/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent",
])
def test_the_native_surfaces_take_the_fast_path_too(live_v1, demo_key, headers, path):
    body = ({"model": "gemini-2.0-flash", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
            if path == "/v1/messages" else {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
    api = live_v1.http.post(path, json=body, headers={**headers, "Cookie": "csrftoken=x"})
    assert api.status_code == 200, api.text
    assert api.headers["X-Content-Type-Options"] == "nosniff"
    assert "set-cookie" not in api.headers and "content-security-policy" not in api.headers


def test_a_head_of_the_root_is_answered_without_the_dashboard(live_v1):
    probe = live_v1.http.head("/")
    assert probe.status_code == 200 and "set-cookie" not in probe.headers
    assert live_v1.http.get("/").status_code in (301, 302)  # a GET is still the dashboard's (to the login)


def test_a_post_needs_no_csrf_token(live_v1, demo_key, headers):
    response = live_v1.http.post("/v1/chat/completions", json=CHAT, headers={**headers, "Cookie": "csrftoken=x"})
    assert response.status_code == 200


def test_stream_chunks_reach_the_client_as_vertex_sends_them(live_v1, demo_key, headers, vertex):
    delay = 0.3  # the emulator waits this long before each streamed event
    vertex.add_fault(event_delay_ms=int(delay * 1000), model="gemini-2.0-flash")
    arrivals = []
    started = time.monotonic()
    with live_v1.http.stream("POST", "/v1/chat/completions", json={**CHAT, "stream": True},
                             headers=headers) as response:
        assert response.headers["content-type"] == "text/event-stream"
        for line in response.iter_lines():
            if line.startswith("data: {"):
                arrivals.append(time.monotonic() - started)
    assert len(arrivals) >= 4
    # Chunks come spread out over the stream as Vertex's events do, not all at once at the end: a
    # gateway that buffered would deliver them within milliseconds of each other. The bounds are
    # half of what the emulator's pauses give (about `delay` per event after the first chunk, the
    # last event carrying two chunks), so a loaded machine's scheduling jitter cannot fail them.
    assert arrivals[-1] - arrivals[0] >= 0.5 * delay * (len(arrivals) - 2)
    steps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert sum(1 for step in steps if step >= delay / 3) >= 2, steps


def test_a_client_that_goes_away_mid_stream_is_logged_as_499(live_v1, demo_key, headers, vertex):
    vertex.add_fault(event_delay_ms=300, model="gemini-2.0-flash")
    with live_v1.http.stream("POST", "/v1/chat/completions", json={**CHAT, "stream": True},
                             headers=headers) as response:
        next(line for line in response.iter_lines() if line.startswith("data: {"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        request_log_flush(5)
        row = RequestLog.objects.filter(stream=True).first()
        if row is not None:
            break
        time.sleep(0.1)
    assert row is not None and row.status == 499
    assert row.ttft_ms is not None


async def test_the_lifespan_protocol_is_answered():
    async def unused(*_):  # pragma: no cover - lifespan never reaches the Django application
        raise AssertionError

    app = with_v1_fast_path(unused)
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message["type"])

    await app({"type": "lifespan"}, receive, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


async def test_plain_http_is_refused_when_https_is_required(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600

    async def view(request):
        from django.http import HttpResponse

        return HttpResponse("ok")

    middleware = V1SecurityMiddleware(view)
    factory = AsyncRequestFactory()
    refused = await middleware(factory.get("/v1/models"))
    assert refused.status_code == 403
    served = await middleware(factory.get("/v1/models", secure=True))
    assert served.status_code == 200
    assert served.headers["Strict-Transport-Security"] == "max-age=3600"


def test_a_client_that_gives_up_before_the_answer_is_logged_as_499(live_v1, demo_key, headers, vertex):
    import httpx

    vertex.add_fault(delay_ms=1500, model="gemini-2.0-flash")
    with pytest.raises(httpx.ReadTimeout):
        live_v1.http.post("/v1/chat/completions", json=CHAT, headers=headers, timeout=0.3)
    deadline = time.monotonic() + 10
    row = None
    while row is None and time.monotonic() < deadline:
        request_log_flush(5)
        row = RequestLog.objects.filter(operation="chat").first()
        time.sleep(0.1)
    assert row is not None and row.status == 499 and row.stream is False


def test_resolved_paths_are_cached_per_path_with_their_own_arguments():
    from gateway_admin.openai_api.asgi import V1Handler

    handler = V1Handler()
    factory = AsyncRequestFactory()
    first = handler.resolve_request(factory.get("/v1/videos/video_a"))
    other = handler.resolve_request(factory.get("/v1/videos/video_b"))
    assert first.kwargs == {"video_id": "video_a"} and other.kwargs == {"video_id": "video_b"}
    again = factory.get("/v1/videos/video_a")
    assert handler.resolve_request(again) is first and again.resolver_match is first
    # An unknown /v1 path still reaches the JSON 404 view, and the cache stays bounded.
    assert handler.resolve_request(factory.get("/v1/nope")).url_name is None
    for n in range(V1Handler.RESOLVED_MAX + 5):
        handler.resolve_request(factory.get(f"/v1/videos/v{n}"))
    assert len(handler._resolved) <= V1Handler.RESOLVED_MAX
