"""Requests-per-minute limits: a sliding window in Django's cache, shared by every web process."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import redis
from django.core.cache import caches

from gateway_admin.openai_api.errors import error_body
from gateway_admin.openai_api.ratelimit import hit, retry_after_seconds
from gateway_admin.pipeline.errors import from_routing_error, rate_limited
from routing.errors import RateLimitError

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/2"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _fresh_cache():
    caches["default"].clear()
    yield
    caches["default"].clear()


def test_it_allows_the_limit_then_says_how_long_to_wait():
    clock = Clock(6000 * 60 + 10.0)  # 10 s into a minute
    assert [hit(1, 5, clock=clock) for _ in range(5)] == [None] * 5
    wait = hit(1, 5, clock=clock)
    # The rest of this minute, plus the time the full previous minute needs to decay to 4 calls.
    assert wait == pytest.approx(50 + 12)


def test_the_previous_minute_decays_instead_of_resetting_at_the_boundary():
    clock = Clock(6000 * 60 + 59.0)
    for _ in range(5):
        assert hit(2, 5, clock=clock) is None
    clock.now += 2  # 1 s into the next minute: a fixed window would allow 5 more at once
    assert hit(2, 5, clock=clock) is not None
    clock.now = 6001 * 60 + 11.0  # 5 * (1 - 11/60) + 1 > 5
    assert hit(2, 5, clock=clock) is not None
    clock.now = 6001 * 60 + 12.0  # 5 * (1 - 12/60) + 1 == 5
    assert hit(2, 5, clock=clock) is None


def test_refused_calls_do_not_use_up_the_budget():
    clock = Clock(6000 * 60 + 1.0)
    for _ in range(3):
        assert hit(3, 3, clock=clock) is None
    for _ in range(20):
        assert hit(3, 3, clock=clock) is not None
    clock.now = 6001 * 60 + 21.0  # 3 * (1 - 21/60) + 1 = 2.95 <= 3: only the 3 real calls count
    assert hit(3, 3, clock=clock) is None


def test_retry_after_within_the_minute_when_the_previous_minute_decays():
    # 2 calls this minute, 10 last minute, limit 5: wait until 10 * (1 - t/60) + 3 <= 5, t = 48.
    assert retry_after_seconds(limit=5, previous=10, current=2, elapsed=30) == pytest.approx(18)


def test_each_token_has_its_own_budget():
    clock = Clock(6000 * 60)
    assert hit(4, 1, clock=clock) is None
    assert hit(4, 1, clock=clock) is not None
    assert hit(5, 1, clock=clock) is None


def test_the_429_answer_carries_retry_after_and_an_openai_body():
    err = rate_limited(60, 2.2)
    assert err.status == 429
    assert err.headers() == {"Retry-After": "3"}
    assert error_body(err)["error"]["code"] == "rate_limit_exceeded"


def test_an_upstream_429_keeps_vertex_s_retry_after():
    err = from_routing_error(RateLimitError("Quota exceeded for gemini-2.0-flash in us-central1.", retry_after=7))
    assert (err.status, err.headers(), err.type) == (429, {"Retry-After": "7"}, "rate_limit_error")
    assert error_body(err)["error"]["message"].startswith("Quota exceeded")


def test_the_limit_holds_across_processes_sharing_redis(settings):
    redis.Redis.from_url(REDIS_URL).ping()
    prefix = "vga-test-" + secrets.token_hex(4)
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL,
                                   "KEY_PREFIX": prefix}}
    token_id, limit = secrets.randbelow(10**9) + 10**6, 30
    # Another web process (same settings, same Redis) takes 20 calls of the budget...
    script = textwrap.dedent(f"""
        import django
        django.setup()
        from gateway_admin.openai_api.ratelimit import hit
        print(sum(hit({token_id}, {limit}) is None for _ in range(20)))
    """)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gateway_admin.settings", "REDIS_URL": REDIS_URL,
           "CACHE_KEY_PREFIX": prefix}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip().splitlines()[-1] == "20"
    # ...so this process gets only the remaining 10 of the shared 30 (a minute turning in between
    # changes that by a call or two at most: the previous minute's 20 decay over the next 60 s).
    allowed = sum(hit(token_id, limit) is None for _ in range(20))
    assert 10 <= allowed <= 12


async def _not_near_a_minute_boundary() -> None:
    import asyncio
    import time

    while time.time() % 60 > 54:  # the test's calls must fall in one minute
        await asyncio.sleep(0.5)


async def test_far_from_the_limit_calls_are_counted_locally_then_added_in_one_batch():
    import asyncio
    import math
    import time

    from gateway_admin.openai_api import ratelimit

    ratelimit.reset_local()
    await _not_near_a_minute_boundary()
    token_id, limit = 7001, 1000  # a batch is 50 calls; local counting stops at 500
    cache = caches["default"]
    calls: list[tuple] = []
    real_hit = ratelimit._hit

    def counting_hit(*args):
        calls.append(args)
        return real_hit(*args)

    ratelimit._hit = counting_hit  # type: ignore[assignment]
    try:
        assert [await ratelimit.ahit(token_id, limit) for _ in range(40)] == [None] * 40
        # The first call read the shared count; the next 39 did not touch the cache...
        assert len(calls) == 1
        window = math.floor(time.time() / 60)
        assert cache.get(f"v1:rpm:{token_id}:{window}") == 1
        # ...and are added to it within SYNC_SECONDS, with no further call needed.
        await asyncio.sleep(ratelimit.SYNC_SECONDS + 0.2)
        assert cache.get(f"v1:rpm:{token_id}:{window}") == 40
    finally:
        ratelimit._hit = real_hit  # type: ignore[assignment]
        ratelimit.reset_local()


async def test_near_the_limit_every_call_is_decided_by_the_shared_counter():
    from gateway_admin.openai_api import ratelimit

    ratelimit.reset_local()
    await _not_near_a_minute_boundary()
    token_id, limit = 7002, 100
    # Another process already used 45 of this token's 100 calls this minute.
    import math
    import time

    caches["default"].set(f"v1:rpm:{token_id}:{math.floor(time.time() / 60)}", 45, timeout=130)
    results = [await ratelimit.ahit(token_id, limit) for _ in range(70)]
    # Exactly the remaining 55 are allowed, whatever was counted locally on the way.
    assert sum(r is None for r in results) == 55
    assert all(r is not None and r > 0 for r in results[55:])
    ratelimit.reset_local()


async def test_small_limits_are_never_counted_locally():
    from gateway_admin.openai_api import ratelimit

    ratelimit.reset_local()
    await _not_near_a_minute_boundary()
    results = [await ratelimit.ahit(7003, 19) for _ in range(25)]
    assert sum(r is None for r in results) == 19
    ratelimit.reset_local()


async def test_calls_counted_locally_reach_the_shared_counter_at_shutdown():
    import math
    import time

    from gateway_admin.openai_api import ratelimit

    ratelimit.reset_local()
    await _not_near_a_minute_boundary()
    token_id = 7004
    for _ in range(10):
        assert await ratelimit.ahit(token_id, 1000) is None
    ratelimit.flush_local()  # what the ASGI lifespan shutdown runs
    assert caches["default"].get(f"v1:rpm:{token_id}:{math.floor(time.time() / 60)}") == 10
    ratelimit.reset_local()
