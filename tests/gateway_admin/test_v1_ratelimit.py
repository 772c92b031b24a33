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
from gateway_admin.usage.ratelimit import hit, retry_after_seconds
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
