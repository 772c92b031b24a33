"""Router rules with the transport mocked (httpx.MockTransport): candidates, URLs, retries, streams."""

from __future__ import annotations

import collections
import random

import httpx
import orjson
import pytest

from routing.catalog import Catalog, LearnedAvailability
from routing.config import Deployment, KeyConfig
from routing.errors import (
    ConfigurationError,
    InvalidRequestError,
    ModelNotFoundError,
    StreamInterruptedError,
    UpstreamServerError,
)
from routing.retry import Cooldowns, RetryPolicy
from routing.router import Router

FAST = RetryPolicy(backoff_initial=0.0001, backoff_max=0.0005, retry_after_cap=0.001)
GEMINI_ANSWER = {
    "candidates": [{"content": {"role": "model", "parts": [{"text": "Hello."}]}, "finishReason": "STOP"}],
    "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5},
}
ASK = {"model": "flash", "messages": [{"role": "user", "content": "hi"}]}


class Tokens:
    """A token source double counting what the router asks of it."""

    def __init__(self) -> None:
        self.calls = 0
        self.invalidated: list[str | None] = []
        self.token_requests = 0

    async def token(self, key: KeyConfig) -> str:
        self.calls += 1
        return f"secret-token-{len(self.invalidated)}"

    def invalidate(self, key: KeyConfig, token: str | None = None) -> None:
        self.invalidated.append(token)


class Upstream:
    """A MockTransport handler answering from a script of (status, body) and recording requests."""

    def __init__(self, *script: tuple[int, object] | httpx.Response) -> None:
        self.script = list(script)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(item, httpx.Response):
            return item
        status, body = item
        content = body if isinstance(body, bytes) else orjson.dumps(body)
        return httpx.Response(status, content=content)

    def regions(self) -> list[str]:
        return [r.url.path.split("/locations/")[1].split("/")[0] for r in self.requests]


def key(key_id: str = "k1", *, region: str = "us-central1", deployments: dict[str, str] | None = None,
        regions: dict[str, str] | None = None, allowed: tuple[str, ...] = (), weight: int = 1,
        enabled: bool = True, project: str = "demo-project", region_failover: str = "geography") -> KeyConfig:
    deployments = {"flash": "gemini-2.0-flash"} if deployments is None else deployments
    return KeyConfig(key_id=key_id, name=key_id.upper(), project_id=project, region=region,
                     deployments=tuple(Deployment(a, t, (regions or {}).get(a)) for a, t in deployments.items()),
                     allowed_models=allowed, weight=weight, enabled=enabled, region_failover=region_failover)


def router(*keys: KeyConfig, upstream: Upstream | None = None, tokens: Tokens | None = None,
           policy: RetryPolicy = FAST, base_url: str | None = None) -> Router:
    client = httpx.AsyncClient(transport=httpx.MockTransport(upstream or Upstream((200, GEMINI_ANSWER))))
    return Router(list(keys), tokens=tokens or Tokens(), policy=policy, client=client, base_url=base_url,
                  catalog=Catalog(learned=LearnedAvailability()), cooldowns=Cooldowns())


# -- candidates ----------------------------------------------------------------------------------


def test_an_alias_resolves_through_deployments_and_allowed_models_that_are_targets():
    r = router(key("a", deployments={"flash": "gemini-2.0-flash"}, allowed=()),
               key("b", deployments={}, allowed=("gemini-2.0-flash", "not a model!")))
    assert r.models() == ["flash", "gemini-2.0-flash"]
    assert [(c.key_id, c.target) for c in r.candidates("gemini-2.0-flash")] == [("b", "gemini-2.0-flash")]


def test_a_non_empty_allowed_models_list_restricts_the_deployments_a_key_serves():
    r = router(key(deployments={"flash": "gemini-2.0-flash", "sonnet": "claude-sonnet-4-5@20250929"},
                   allowed=("sonnet",)))
    assert r.models() == ["sonnet"]


def test_disabled_keys_and_deployments_and_unknown_targets_serve_nothing():
    off = key("off", enabled=False)
    k = KeyConfig(key_id="k", name="k", project_id="p", region="us-central1",
                  deployments=(Deployment("x", "gemini-2.0-flash", enabled=False), Deployment("y", "%%%")))
    assert router(off, k).models() == []


def test_an_unknown_alias_or_key_is_a_clear_not_found():
    r = router(key())
    with pytest.raises(ModelNotFoundError, match="No enabled key serves the model 'nope'"):
        r.candidates("nope")
    with pytest.raises(ModelNotFoundError, match="Key other does not serve"):
        r.candidates("flash", key_id="other")


def test_an_allowed_model_nothing_serves_is_explained_at_call_time():
    k = KeyConfig(key_id="k", name="prod", project_id="p", region="us-central1",
                  deployments=(Deployment("flash", "gemini-2.0-flash"),), allowed_models=("flash", "gpt-4o"))
    with pytest.raises(ModelNotFoundError) as caught:
        router(k).candidates("gpt-4o")
    message = str(caught.value)
    assert "'gpt-4o' is in allowedModels of key prod" in message
    assert "no adapter or catalog model serves" in message
    assert "Add it as a deployment or an allowed model" not in message


def test_candidates_are_ordered_by_weight_at_random():
    r = router(key("heavy", weight=3), key("light", weight=1))
    random.seed(7)
    firsts = collections.Counter(r.candidates("flash")[0].key_id for _ in range(4000))
    assert 0.70 < firsts["heavy"] / 4000 < 0.80


def test_key_id_pins_the_call_to_one_key():
    r = router(key("a"), key("b"))
    assert {c.key_id for c in r.candidates("flash", key_id="b")} == {"b"}


async def test_a_deployment_region_override_wins_over_the_key_region():
    upstream = Upstream((200, GEMINI_ANSWER))
    r = router(key(region="global", regions={"flash": "europe-west4"}), upstream=upstream)
    result = await r.chat(ASK)
    assert result.region == "europe-west4" and upstream.regions() == ["europe-west4"]


# -- URLs and secrets ------------------------------------------------------------------------------


async def test_without_an_override_the_regional_vertex_host_is_called():
    upstream = Upstream((200, GEMINI_ANSWER))
    result = await router(key(region="europe-west4"), upstream=upstream).chat(ASK)
    assert str(upstream.requests[0].url) == ("https://europe-west4-aiplatform.googleapis.com/v1/projects/"
                                             "demo-project/locations/europe-west4/publishers/google/models/"
                                             "gemini-2.0-flash:generateContent")
    assert result.host == "europe-west4-aiplatform.googleapis.com"


async def test_a_bad_project_id_is_refused_before_any_token_is_requested():
    tokens, upstream = Tokens(), Upstream((200, GEMINI_ANSWER))
    with pytest.raises(ConfigurationError, match="project"):
        await router(key(project="evil.com/x"), tokens=tokens, upstream=upstream).chat(ASK)
    assert tokens.calls == 0 and upstream.requests == []


async def test_a_bad_base_url_override_is_refused_before_any_token_is_requested():
    tokens = Tokens()
    with pytest.raises(ConfigurationError):
        await router(key(), tokens=tokens, base_url="ftp://user:pw@host").chat(ASK)
    assert tokens.calls == 0


async def test_the_base_url_override_keeps_the_vertex_path():
    upstream = Upstream((200, GEMINI_ANSWER))
    await router(key(), upstream=upstream, base_url="http://127.0.0.1:8790").chat(ASK)
    assert str(upstream.requests[0].url) == ("http://127.0.0.1:8790/v1/projects/demo-project/locations/"
                                             "us-central1/publishers/google/models/gemini-2.0-flash:generateContent")


async def test_the_recorded_wire_request_has_the_authorization_redacted():
    upstream = Upstream((200, GEMINI_ANSWER))
    result = await router(key(), upstream=upstream).chat(ASK)
    assert upstream.requests[0].headers["authorization"] == "Bearer secret-token-0"
    assert result.wire_request["headers"]["Authorization"] == "Bearer [redacted]"
    assert "secret-token" not in repr(result)
    assert result.wire_request["body"]["contents"][0]["parts"][0]["text"] == "hi"
    assert result.wire_response == {"status": 200, "body": GEMINI_ANSWER}


async def test_an_invalid_request_is_refused_without_any_call():
    upstream = Upstream((200, GEMINI_ANSWER))
    with pytest.raises(InvalidRequestError):
        await router(key(), upstream=upstream).chat({"model": "flash", "messages": "not a list"})
    with pytest.raises(InvalidRequestError, match="model: required"):
        await router(key(), upstream=upstream).chat({"messages": []})
    assert upstream.requests == []


# -- retries ---------------------------------------------------------------------------------------


async def test_server_errors_are_retried_then_the_next_region_is_tried():
    upstream = Upstream((500, {"error": {"code": 500}}), (502, b"<html>bad gateway</html>"),
                        (504, {}), (200, GEMINI_ANSWER))
    result = await router(key(), upstream=upstream).chat(ASK)
    assert [a.status for a in result.attempts] == [500, 502, 504, 200]
    assert upstream.regions() == ["us-central1"] * 3 + ["us-east5"]
    assert result.attempts[-1].failover and not any(a.failover for a in result.attempts[:-1])


async def test_region_failover_can_be_turned_off_for_data_residency():
    upstream = Upstream((503, {}))
    policy = RetryPolicy(backoff_initial=0.0001, region_failover=False)
    with pytest.raises(UpstreamServerError) as caught:
        await router(key(region="europe-west4"), upstream=upstream, policy=policy).chat(ASK)
    assert set(upstream.regions()) == {"europe-west4"} and len(caught.value.attempts) == 3


async def test_failovers_are_bounded_by_the_policy():
    upstream = Upstream((503, {}))
    policy = RetryPolicy(backoff_initial=0.0001, max_retries=0, max_failovers=1)
    with pytest.raises(UpstreamServerError):
        await router(key("a"), key("b"), upstream=upstream, policy=policy).chat(ASK)
    assert len(upstream.requests) == 2


async def test_a_401_invalidates_exactly_the_token_used_and_retries_once():
    tokens = Tokens()
    upstream = Upstream((401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}}), (200, GEMINI_ANSWER))
    result = await router(key(), upstream=upstream, tokens=tokens).chat(ASK)
    assert tokens.invalidated == ["secret-token-0"]
    assert upstream.requests[1].headers["authorization"] == "Bearer secret-token-1"
    assert [a.status for a in result.attempts] == [401, 200]


async def test_a_non_json_success_body_is_retried_as_a_server_fault():
    upstream = Upstream((200, b"{not json"), (200, GEMINI_ANSWER))
    result = await router(key(), upstream=upstream).chat(ASK)
    assert [a.status for a in result.attempts] == [200, 200] and result.attempts[0].error


# -- streams ---------------------------------------------------------------------------------------

GEMINI_EVENTS = [
    {"candidates": [{"content": {"role": "model", "parts": [{"text": "Hel"}]}}]},
    {"candidates": [{"content": {"role": "model", "parts": [{"text": "lo."}]}, "finishReason": "STOP"}],
     "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5}},
]


def sse_response(pieces: list[bytes], *, fail_after: int | None = None) -> httpx.Response:
    async def body():
        for i, piece in enumerate(pieces):
            if fail_after is not None and i == fail_after:
                raise httpx.ReadError("connection reset")
            yield piece

    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())


def gemini_sse() -> bytes:
    return b"".join(b"data: " + orjson.dumps(e) + b"\r\n\r\n" for e in GEMINI_EVENTS)


async def test_a_stream_is_translated_however_the_bytes_are_split():
    raw = gemini_sse()
    pieces = [raw[i:i + 7] for i in range(0, len(raw), 7)]
    upstream = Upstream(sse_response(pieces))
    stream = await router(key(), upstream=upstream).chat_stream(
        {**ASK, "stream": True, "stream_options": {"include_usage": True}})
    chunks = [c async for c in stream]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]) == "Hello."
    assert stream.usage["total_tokens"] == 5 and stream.ttft_ms is not None
    assert upstream.requests[0].url.params["alt"] == "sse"


async def test_a_stream_broken_after_its_first_bytes_raises_once_and_is_not_retried():
    raw = gemini_sse()
    upstream = Upstream(sse_response([raw[:40], raw[40:]], fail_after=1), (200, GEMINI_ANSWER))
    stream = await router(key(), upstream=upstream).chat_stream(ASK)
    with pytest.raises(StreamInterruptedError, match="not retried") as caught:
        async for _ in stream:
            pass
    assert len(upstream.requests) == 1
    assert caught.value.attempts[0].status == 200 and caught.value.attempts[0].error


async def test_a_stream_broken_before_its_first_byte_is_retried():
    upstream = Upstream(sse_response([gemini_sse()], fail_after=0), sse_response([gemini_sse()]))
    stream = await router(key(), upstream=upstream).chat_stream(ASK)
    chunks = [c async for c in stream]
    assert len(upstream.requests) == 2 and [a.status for a in stream.attempts] == [None, 200]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


async def test_closing_a_stream_early_releases_it():
    upstream = Upstream(sse_response([gemini_sse()]))
    async with await router(key(), upstream=upstream).chat_stream(ASK) as stream:
        await stream.__anext__()
    assert stream._response.is_closed
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()


# -- other calls -----------------------------------------------------------------------------------


async def test_a_capability_the_model_lacks_is_refused_before_any_call():
    upstream = Upstream((200, {}))
    with pytest.raises(InvalidRequestError, match="cannot create embeddings"):
        await router(key(), upstream=upstream).embeddings({"model": "flash", "input": "x"})
    assert upstream.requests == []


async def test_video_poll_goes_back_to_the_key_and_region_that_started_it():
    upstream = Upstream((200, {"name": "op", "done": False}))
    r = router(key("v", deployments={"veo": "veo-3.0-generate-001"}), upstream=upstream)
    result = await r.video_poll(key_id="v", region="us-east5", target="veo-3.0-generate-001",
                                operation="projects/demo-project/locations/us-east5/publishers/google/models/"
                                          "veo-3.0-generate-001/operations/123")
    assert upstream.regions() == ["us-east5"]
    assert upstream.requests[0].url.path.endswith("veo-3.0-generate-001:fetchPredictOperation")
    assert result.key_id == "v"
    with pytest.raises(ModelNotFoundError):
        await r.video_poll(key_id="gone", region="us-east5", target="veo-3.0-generate-001", operation="x")


async def test_a_key_that_cannot_get_a_token_is_recorded_and_another_key_answers():
    from routing.errors import AuthenticationError

    class OneBrokenKey(Tokens):
        async def token(self, key: KeyConfig) -> str:
            if key.key_id == "broken":
                raise AuthenticationError("oauth2.googleapis.com refused to issue an access token: invalid_grant")
            return await super().token(key)

    upstream = Upstream((200, GEMINI_ANSWER))
    r = router(key("broken", weight=10**9), key("fine", weight=1), upstream=upstream, tokens=OneBrokenKey())
    result = await r.chat(ASK)
    assert [(a.key_id, a.status) for a in result.attempts] == [("broken", None), ("fine", 200)]
    assert "invalid_grant" in result.attempts[0].error and result.attempts[1].failover
    assert len(upstream.requests) == 1


async def test_a_misconfigured_key_alone_raises_its_configuration_error_with_the_attempt():
    with pytest.raises(ConfigurationError) as caught:
        await router(key(project="Bad Project")).chat(ASK)
    assert [a.status for a in caught.value.attempts] == [None]


# -- broken keys are put aside ----------------------------------------------------------------------


class BrokenTokens(Tokens):
    """The token endpoint refuses the credential of key "broken"."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    async def token(self, key: KeyConfig) -> str:
        self.asked.append(key.key_id)
        if key.key_id == "broken":
            from routing.errors import AuthenticationError

            raise AuthenticationError("oauth2.googleapis.com refused to issue an access token: invalid_grant")
        return await super().token(key)


def _shared_router(*keys: KeyConfig, handler, tokens: Tokens, cooldowns: Cooldowns) -> Router:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return Router(list(keys), tokens=tokens, policy=FAST, client=client,
                  catalog=Catalog(learned=LearnedAvailability()), cooldowns=cooldowns)


async def test_a_key_that_cannot_mint_a_token_is_tried_at_most_once_in_six_calls():
    random.seed(7)
    tokens, cooldowns = BrokenTokens(), Cooldowns()
    upstream = Upstream((200, GEMINI_ANSWER))
    r = _shared_router(key("broken", region_failover="off"), key("fine", region_failover="off"),
                       handler=upstream, tokens=tokens, cooldowns=cooldowns)
    for _ in range(6):
        result = await r.chat(ASK)
        assert result.key_id == "fine"
    assert tokens.asked.count("broken") <= 1
    assert cooldowns.key_cooling("broken") and not cooldowns.key_cooling("fine")


async def test_a_key_that_vertex_refuses_with_a_fresh_token_is_put_aside():
    random.seed(3)
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        project = request.url.path.split("/projects/")[1].split("/")[0]
        seen.append(project)
        if project == "revoked-project":
            return httpx.Response(403, json={"error": {"code": 403, "status": "PERMISSION_DENIED",
                                                       "message": "Permission denied."}})
        return httpx.Response(200, json=GEMINI_ANSWER)

    cooldowns = Cooldowns()
    r = _shared_router(key("revoked", project="revoked-project", region_failover="off"),
                       key("fine", region_failover="off"), handler=handler, tokens=Tokens(), cooldowns=cooldowns)
    for _ in range(6):
        assert (await r.chat(ASK)).key_id == "fine"
    # Once: the 403, then once more with a refreshed token; never again while it cools down.
    assert seen.count("revoked-project") <= 2
    assert cooldowns.key_cooling("revoked")


async def test_a_cooled_key_is_still_used_when_nothing_else_is_left_and_a_success_warms_it():
    now = [0.0]
    cooldowns = Cooldowns(clock=lambda: now[0])
    cooldowns.key_failure("k1", FAST, "invalid_grant")
    assert cooldowns.key_cooling("k1")
    result = await _shared_router(key("k1"), handler=Upstream((200, GEMINI_ANSWER)), tokens=Tokens(),
                                  cooldowns=cooldowns).chat(ASK)
    assert result.key_id == "k1"
    assert not cooldowns.key_cooling("k1")


def test_a_key_cooldown_ends_after_its_time():
    now = [0.0]
    cooldowns = Cooldowns(clock=lambda: now[0])
    cooldowns.key_failure("k1", RetryPolicy(key_cooldown_seconds=60.0), "invalid_grant")
    now[0] = 59.0
    assert cooldowns.key_cooling("k1")
    now[0] = 60.5
    assert not cooldowns.key_cooling("k1")


class DictStore:
    def __init__(self, clock) -> None:
        self.clock = clock
        self.entries: dict[str, tuple[float, str]] = {}

    def put(self, key_id: str, seconds: float, reason: str) -> None:
        self.entries[key_id] = (self.clock() + seconds, reason)

    def remaining(self, key_id: str) -> float | None:
        hit = self.entries.get(key_id)
        return None if hit is None else hit[0] - self.clock()

    def drop(self, key_id: str) -> None:
        self.entries.pop(key_id, None)


def test_a_key_cooldown_is_seen_by_another_process_through_the_shared_store():
    now = [100.0]
    store = DictStore(lambda: now[0])
    here, there = Cooldowns(clock=lambda: now[0], shared=store), Cooldowns(clock=lambda: now[0], shared=store)
    assert not there.key_cooling("k1")
    here.key_failure("k1", RetryPolicy(key_cooldown_seconds=60.0), "invalid_grant")
    now[0] += 2  # past the re-check interval of `there`
    assert there.key_cooling("k1")
    assert store.entries["k1"][1] == "invalid_grant"
