"""Tokens per minute: the sliding window of the RPM limit, counted in tokens."""

from __future__ import annotations

from gateway_admin.usage.tpm import tpm_add, tpm_check

T0 = 1_800_000_000.0  # a minute boundary (divisible by 60)


def test_a_token_under_its_tpm_limit_is_let_through_and_over_it_waits_for_the_window():
    assert tpm_check(7, 1000, clock=lambda: T0 + 1) is None
    tpm_add(7, 600, clock=lambda: T0 + 1)
    assert tpm_check(7, 1000, clock=lambda: T0 + 2) is None
    tpm_add(7, 500, clock=lambda: T0 + 2)
    wait = tpm_check(7, 1000, clock=lambda: T0 + 3)
    assert wait is not None and 0 < wait <= 120
    # The next minute still carries the previous one's share, decaying: 1100 * (1 - 30/60) = 550.
    assert tpm_check(7, 1000, clock=lambda: T0 + 90) is None
    assert tpm_check(7, 500, clock=lambda: T0 + 90) is not None


def test_tokens_are_counted_per_api_token():
    tpm_add(1, 5000, clock=lambda: T0 + 1)
    assert tpm_check(1, 1000, clock=lambda: T0 + 2) is not None
    assert tpm_check(2, 1000, clock=lambda: T0 + 2) is None


async def test_the_async_check_answers_like_the_sync_one():
    from gateway_admin.usage import atpm_check

    tpm_add(9, 10_000)
    assert await atpm_check(token_id=9, tpm_limit=100) is not None
    assert await atpm_check(token_id=10, tpm_limit=100) is None
