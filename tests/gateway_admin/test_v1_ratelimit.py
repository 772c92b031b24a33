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
from gateway_admin.pipeline.errors import from_routing_error, rate_limited
from gateway_admin.usage.ratelimit import hit
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


def test_it_allows_the_limit_then_says_exactly_how_long_to_wait():
    clock = Clock(6000 * 60 + 10.0)
    assert [hit(1, 5, clock=clock) for _ in range(5)] == [None] * 5
    # One slot frees every 60/5 = 12 s.
    assert hit(1, 5, clock=clock) == pytest.approx(12)
    clock.now += 11.9
    assert hit(1, 5, clock=clock) == pytest.approx(0.1)
    clock.now += 0.1
    assert hit(1, 5, clock=clock) is None


def test_a_two_per_minute_token_is_told_the_true_wait_and_then_gets_in():
    clock = Clock(6000 * 60 + 37.0)
    assert hit(9, 2, clock=clock) is None
    assert hit(9, 2, clock=clock) is None
    wait = hit(9, 2, clock=clock)
    assert wait == pytest.approx(30)  # never more than the window, and not 66 s
    assert rate_limited(2, wait).message.endswith("Try again in 30 s.")
    clock.now += wait
    assert hit(9, 2, clock=clock) is None  # waiting as told is enough
    assert hit(9, 2, clock=clock) == pytest.approx(30)  # the next one is told the next slot
    clock.now += 30
    assert hit(9, 2, clock=clock) is None


def test_the_waits_told_are_always_enough_and_never_longer_than_a_slot():
    import random

    rnd = random.Random(5)
    clock = Clock(6000 * 60.0)
    limit = 7
    for _ in range(300):
        wait = hit(10, limit, clock=clock)
        if wait is None:
            clock.now += rnd.choice([0.0, 0.5, 3.0])
            continue
        assert 0 < wait <= 60 / limit + 1e-9
        clock.now += wait
        assert hit(10, limit, clock=clock) is None


def test_refused_calls_do_not_use_up_the_budget():
    clock = Clock(6000 * 60 + 1.0)
    for _ in range(3):
        assert hit(3, 3, clock=clock) is None
    for _ in range(20):
        assert hit(3, 3, clock=clock) == pytest.approx(20)
    clock.now += 20  # exactly one slot later, however often it was refused meanwhile
    assert hit(3, 3, clock=clock) is None


def test_a_quiet_token_gets_its_whole_burst_back():
    clock = Clock(6000 * 60.0)
    for _ in range(4):
        assert hit(11, 4, clock=clock) is None
    clock.now += 60
    assert [hit(11, 4, clock=clock) for _ in range(4)] == [None] * 4
    assert hit(11, 4, clock=clock) is not None


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
        from gateway_admin.usage.ratelimit import hit
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
