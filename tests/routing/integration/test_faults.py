"""Upstream faults injected by the emulator: retries, failover, 404s, cut streams, tokens."""

from __future__ import annotations

import asyncio
import time

import pytest

from routing.auth import TokenCache
from routing.catalog import Catalog, LearnedAvailability
from routing.errors import (
    AuthenticationError,
    InvalidRequestError,
    RateLimitError,
    StreamInterruptedError,
    TransportError,
    UpstreamNotFoundError,
    UpstreamPermissionError,
)
from routing.retry import RetryPolicy
from tests.routing.integration.conftest import make_key

FLASH = "gemini-2.0-flash"
FLASH_PATH = f"publishers/google/models/{FLASH}:generateContent"
NO_REGION_FAILOVER = RetryPolicy(backoff_initial=0.001, backoff_max=0.005, retry_after_cap=0.05,
                                 region_failover=False)


def ask(alias: str = "flash", **extra) -> dict:
    return {"model": alias, "messages": [{"role": "user", "content": "Say hello."}], **extra}


def regions_called(vertex, path: str) -> list[str]:
    return [r["path"].split("/locations/")[1].split("/")[0] for r in vertex.requests(path_contains=path)]


async def test_429_twice_then_200_succeeds_after_two_retries(vertex, router_for):
    vertex.add_fault(status=429, model=FLASH, times=2)
    router = router_for(make_key(vertex, deployments={"flash": FLASH}))

    result = await router.chat(ask())

    assert [a.status for a in result.attempts] == [429, 429, 200]
    assert {a.region for a in result.attempts} == {"us-central1"}
    assert regions_called(vertex, FLASH_PATH) == ["us-central1"] * 3
    assert "Quota exceeded" in result.attempts[0].error


async def test_429_three_times_fails_over_to_another_region_of_the_same_geography(vertex, router_for):
    vertex.add_fault(status=429, model=FLASH, region="us-central1")
    router = router_for(make_key(vertex, deployments={"flash": FLASH}))

    result = await router.chat(ask())

    assert [(a.region, a.status) for a in result.attempts] == [
        ("us-central1", 429), ("us-central1", 429), ("us-central1", 429), ("us-east5", 200)]
    assert [a.failover for a in result.attempts] == [False, False, False, True]
    assert "global" not in regions_called(vertex, FLASH_PATH)


async def test_a_key_with_the_default_failover_mode_fails_over_to_the_global_region_first(vertex, router_for):
    vertex.add_fault(status=429, model=FLASH, region="us-central1")
    key = make_key(vertex, deployments={"flash": FLASH}, region_failover=None)
    assert key.region_failover == "any"
    router = router_for(key)

    result = await router.chat(ask())

    assert [(a.region, a.status) for a in result.attempts] == [
        ("us-central1", 429), ("us-central1", 429), ("us-central1", 429), ("global", 200)]
    assert [a.failover for a in result.attempts] == [False, False, False, True]
    assert result.region == "global"
    assert regions_called(vertex, FLASH_PATH) == ["us-central1"] * 3 + ["global"]


async def test_429_three_times_fails_over_to_another_key(vertex, router_for):
    vertex.add_fault(status=429, model=FLASH, region="us-central1")
    busy = make_key(vertex, key_id="busy", region="us-central1", deployments={"flash": FLASH}, weight=10**9)
    spare = make_key(vertex, key_id="spare", region="europe-west4", deployments={"flash": FLASH}, weight=1)
    router = router_for(busy, spare, policy=NO_REGION_FAILOVER)

    result = await router.chat(ask())

    assert [(a.key_id, a.status) for a in result.attempts] == [
        ("busy", 429), ("busy", 429), ("busy", 429), ("spare", 200)]
    assert result.key_id == "spare" and result.attempts[-1].failover


async def test_when_every_candidate_is_exhausted_the_last_error_carries_every_attempt(vertex, router_for):
    vertex.add_fault(status=503, model=FLASH)
    router = router_for(make_key(vertex, deployments={"flash": FLASH}), policy=NO_REGION_FAILOVER)

    with pytest.raises(Exception) as caught:
        await router.chat(ask())

    assert caught.value.retryable and caught.value.status == 502
    assert [a.status for a in caught.value.attempts] == [503, 503, 503]


async def test_a_404_is_not_retried_and_says_where_the_model_is_served(vertex, router_for):
    key = make_key(vertex, region="global", deployments={"haiku": "claude-3-5-haiku@20241022"})
    router = router_for(key, policy=NO_REGION_FAILOVER)

    with pytest.raises(UpstreamNotFoundError) as caught:
        await router.chat(ask("haiku"))

    message = caught.value.user_message
    assert message.startswith("claude-3-5-haiku@20241022 is not served on global; it is served in us-east5, "
                              "europe-west1")
    assert "or it is not enabled for project demo-project" in message
    assert [a.status for a in caught.value.attempts] == [404]
    assert len(vertex.requests(path_contains="claude-3-5-haiku")) == 1


async def test_a_404_teaches_the_catalog_and_moves_to_a_region_that_serves_the_model(vertex, router_for):
    vertex.set_availability("gemini-2.5-flash", "us-central1", False)
    catalog = Catalog(learned=LearnedAvailability())
    router = router_for(make_key(vertex, deployments={"flash": "gemini-2.5-flash"}), catalog=catalog)

    result = await router.chat(ask())

    # The key's residency keeps the retry in the United States (not global).
    assert [(a.region, a.status) for a in result.attempts] == [("us-central1", 404), ("us-east5", 200)]
    assert catalog.is_served("gemini-2.5-flash", "us-central1") is False


async def test_a_region_override_on_the_deployment_wins_over_the_key_region(vertex, router_for):
    key = make_key(vertex, region="global", deployments={"haiku": "claude-3-5-haiku@20241022"},
                   deployment_regions={"haiku": "us-east5"})
    result = await router_for(key).chat(ask("haiku"))

    assert result.region == "us-east5"
    assert regions_called(vertex, "claude-3-5-haiku") == ["us-east5"]


async def test_a_stream_cut_mid_way_gives_a_clean_error_and_is_not_retried(vertex, router_for):
    vertex.add_fault(cut_after=2, model="claude-sonnet-4-5")
    router = router_for(make_key(vertex, deployments={"sonnet": "claude-sonnet-4-5@20250929"}))

    stream = await router.chat_stream(ask("sonnet", stream=True))
    received = []
    with pytest.raises(StreamInterruptedError) as caught:
        async for chunk in stream:
            received.append(chunk)

    assert received, "the chunks before the cut reach the caller"
    assert "not retried" in caught.value.user_message
    assert [a.status for a in caught.value.attempts] == [200]
    assert caught.value.attempts[0].error
    assert len(vertex.requests(path_contains="streamRawPredict")) == 1


async def test_a_stream_refused_before_its_first_byte_is_retried(vertex, router_for):
    vertex.add_fault(status=503, model=FLASH, times=1)
    router = router_for(make_key(vertex, deployments={"flash": FLASH}))

    stream = await router.chat_stream(ask(stream=True))
    chunks = [c async for c in stream]

    assert [a.status for a in stream.attempts] == [503, 200]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


async def test_a_malformed_stream_event_is_a_clean_stream_error(vertex, router_for):
    vertex.add_fault(malformed=True, model=FLASH, times=1)
    router = router_for(make_key(vertex, deployments={"flash": FLASH}))

    stream = await router.chat_stream(ask(stream=True))
    with pytest.raises(StreamInterruptedError, match="not valid JSON"):
        async for _ in stream:
            pass


async def test_a_malformed_answer_is_retried(vertex, router_for):
    vertex.add_fault(malformed=True, model=FLASH, times=1)
    result = await router_for(make_key(vertex, deployments={"flash": FLASH})).chat(ask())

    assert [a.status for a in result.attempts] == [200, 200]
    assert "not valid JSON" in result.attempts[0].error and result.attempts[1].error is None


async def test_retry_after_is_honoured_up_to_the_cap(vertex, router_for):
    vertex.add_fault(status=429, retry_after=5, model=FLASH, times=1)
    policy = RetryPolicy(backoff_initial=0.001, backoff_max=0.005, retry_after_cap=0.3)
    router = router_for(make_key(vertex, deployments={"flash": FLASH}), policy=policy)

    started = time.perf_counter()
    result = await router.chat(ask())
    elapsed = time.perf_counter() - started

    assert [a.status for a in result.attempts] == [429, 200]
    assert 0.3 <= elapsed < 3


async def test_a_slow_first_byte_past_the_timeout_is_retried(vertex, router_for):
    vertex.add_fault(delay_ms=1500, model=FLASH, times=1)
    policy = RetryPolicy(backoff_initial=0.001, backoff_max=0.005, timeout=0.5)
    result = await router_for(make_key(vertex, deployments={"flash": FLASH}), policy=policy).chat(ask())

    assert [a.status for a in result.attempts] == [None, 200]
    assert "did not answer" in result.attempts[0].error
    assert "127.0.0.1" not in result.attempts[0].error and result.attempts[0].host.startswith("127.0.0.1:")


async def test_a_refused_connection_is_retried_then_reported(vertex, tokens, fresh_transport):
    import socket

    from routing.retry import Cooldowns
    from routing.router import Router

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    key = make_key(vertex, deployments={"flash": FLASH})
    await tokens.token(key)  # the token comes from the emulator; the API host is closed
    router = Router([key], base_url=f"http://127.0.0.1:{port}", tokens=tokens, policy=NO_REGION_FAILOVER,
                    cooldowns=Cooldowns())

    with pytest.raises(TransportError) as caught:
        await router.chat(ask())
    assert [a.status for a in caught.value.attempts] == [None, None, None]
    # The caller is told the region and model; the (possibly private) host stays in the attempts.
    message = caught.value.user_message
    assert "us-central1" in message and FLASH in message
    assert "127.0.0.1" not in message and str(port) not in message
    assert all(a.host == f"127.0.0.1:{port}" for a in caught.value.attempts)
    assert all("127.0.0.1" not in (a.error or "") for a in caught.value.attempts)


async def test_a_400_is_not_retried(vertex, router_for):
    vertex.add_fault(status=400, model=FLASH)
    with pytest.raises(InvalidRequestError):
        await router_for(make_key(vertex, deployments={"flash": FLASH})).chat(ask())
    assert len(vertex.requests(path_contains=FLASH_PATH)) == 1


async def test_a_403_drops_the_token_retries_once_and_names_the_permission(vertex, router_for):
    vertex.add_fault(status=403, model="claude-sonnet-4-5")
    router = router_for(make_key(vertex, deployments={"sonnet": "claude-sonnet-4-5@20250929"}))

    with pytest.raises(UpstreamPermissionError) as caught:
        await router.chat(ask("sonnet"))

    message = caught.value.user_message
    assert "aiplatform.endpoints.predict" in message and "Model Garden" in message
    assert [a.status for a in caught.value.attempts] == [403, 403]
    assert vertex.token_requests() == 2


async def test_401_drops_the_token_and_retries_once_with_a_fresh_one(vertex, router_for, tokens):
    router = router_for(make_key(vertex, deployments={"flash": FLASH}))
    await router.chat(ask())
    assert vertex.expire_tokens() >= 1

    result = await router.chat(ask())

    assert [a.status for a in result.attempts] == [401, 200]
    assert vertex.token_requests() == 2
    first, second = (r["headers"]["authorization"] for r in vertex.requests(path_contains=FLASH_PATH)[-2:])
    assert first != second


async def test_a_second_401_is_reported_as_a_credential_problem(vertex, router_for):
    vertex.add_fault(status=401, model=FLASH)
    with pytest.raises(AuthenticationError, match="credential") as caught:
        await router_for(make_key(vertex, deployments={"flash": FLASH})).chat(ask())
    assert [a.status for a in caught.value.attempts] == [401, 401]


async def test_time_travel_past_token_expiry_makes_exactly_one_refresh(vertex, router_for):
    now = [time.time()]
    tokens = TokenCache(clock=lambda: now[0])
    router = router_for(make_key(vertex, deployments={"flash": FLASH}))
    router.tokens = router._runner.tokens = tokens

    await router.chat(ask())
    await asyncio.gather(*(router.chat(ask()) for _ in range(5)))
    assert vertex.token_requests() == 1

    now[0] += 3600 + 60
    await asyncio.gather(*(router.chat(ask()) for _ in range(5)))

    assert vertex.token_requests() == 2
    assert tokens.token_requests == 2


async def test_twenty_concurrent_calls_on_a_cold_key_make_one_token_request(vertex, router_for):
    router = router_for(make_key(vertex, deployments={"flash": FLASH}))

    results = await asyncio.gather(*(router.chat(ask()) for _ in range(20)))

    assert all(r.response["choices"][0]["message"]["content"] for r in results)
    assert vertex.token_requests() == 1


async def test_a_slot_that_keeps_failing_cools_down_and_is_skipped(vertex, router_for):
    vertex.add_fault(status=429, model=FLASH, region="us-central1")
    router = router_for(make_key(vertex, deployments={"flash": FLASH}))

    first = await router.chat(ask())
    second = await router.chat(ask())

    assert [a.region for a in first.attempts] == ["us-central1"] * 3 + ["us-east5"]
    assert [(a.region, a.status) for a in second.attempts] == [("us-east5", 200)]


async def test_a_cooling_slot_is_still_used_when_nothing_else_is_left(vertex, router_for):
    router = router_for(make_key(vertex, deployments={"flash": FLASH}), policy=NO_REGION_FAILOVER)
    vertex.add_fault(status=429, model=FLASH, times=3)
    with pytest.raises(RateLimitError):
        await router.chat(ask())

    result = await router.chat(ask())
    assert [(a.region, a.status) for a in result.attempts] == [("us-central1", 200)]


async def test_a_slow_stream_reaches_the_caller_chunk_by_chunk_not_buffered(vertex, router_for):
    router = router_for(make_key(vertex, deployments={"flash": FLASH}))
    await router.chat(ask())  # a warm token, so the first chunk's time is the stream's own
    vertex.add_fault(event_delay_ms=120, model=FLASH)

    started = time.perf_counter()
    stream = await router.chat_stream(ask(stream=True))
    arrivals = [time.perf_counter() - started async for _ in stream]

    assert len(arrivals) >= 3
    assert arrivals[-1] - arrivals[0] >= 0.2  # spread over the upstream's pauses
    assert stream.ttft_ms < (arrivals[-1] * 1000) / 2


def test_sync_callers_run_the_router_on_fresh_loops_one_after_another(vertex, router_for):
    from routing import transport

    router = router_for(make_key(vertex, deployments={"flash": FLASH}))
    first = transport.run(router.chat(ask()))
    second = transport.run(router.chat(ask()))  # a new loop: the pooled client must not be reused

    assert first.response["choices"] and second.response["choices"]
    assert vertex.token_requests() == 1
