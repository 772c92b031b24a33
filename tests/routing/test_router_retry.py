"""Backoff, Retry-After and cooldown rules on their own."""

from __future__ import annotations

import email.utils

from routing.retry import Cooldowns, RetryPolicy, parse_retry_after


def test_backoff_doubles_up_to_its_cap_and_jitter_only_shortens_it():
    policy = RetryPolicy(backoff_initial=0.5, backoff_multiplier=2.0, backoff_max=3.0, jitter=0.5)
    assert [policy.backoff(n, rand=lambda: 0.0) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 3.0]
    assert policy.backoff(2, rand=lambda: 1.0) == 0.5


def test_retry_after_is_honoured_but_capped():
    policy = RetryPolicy(backoff_initial=0.1, retry_after_cap=30.0)
    assert policy.backoff(1, retry_after=7.0, rand=lambda: 0.0) == 7.0
    assert policy.backoff(1, retry_after=600.0, rand=lambda: 0.0) == 30.0
    assert policy.backoff(1, retry_after=0.0, rand=lambda: 0.0) == 0.1


def test_retry_after_reads_seconds_and_http_dates():
    assert parse_retry_after({"retry-after": "12"}) == 12.0
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=lambda: 1_000_000) == 30.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None
    assert parse_retry_after({"retry-after": "-5"}) == 0.0


def test_a_slot_cools_down_after_repeated_failures_and_warms_up_after_the_pause():
    now = [0.0]
    cooldowns = Cooldowns(clock=lambda: now[0])
    policy = RetryPolicy(cooldown_after=3, cooldown_seconds=30.0)
    slot = ("k1", "us-central1", "gemini-2.0-flash")
    cooldowns.failure(slot, policy)
    cooldowns.failure(slot, policy)
    assert not cooldowns.cooling(slot)
    cooldowns.failure(slot, policy)
    assert cooldowns.cooling(slot)
    now[0] = 29.9
    assert cooldowns.cooling(slot)
    now[0] = 30.1
    assert not cooldowns.cooling(slot)


def test_a_success_resets_the_failure_count():
    cooldowns = Cooldowns()
    policy = RetryPolicy(cooldown_after=2)
    slot = ("k1", "global", "m")
    cooldowns.failure(slot, policy)
    cooldowns.success(slot)
    cooldowns.failure(slot, policy)
    assert not cooldowns.cooling(slot)
