"""Each usage test starts with no cached budgets, prices or counters in this process."""

from __future__ import annotations

import sys

import pytest


@pytest.fixture(autouse=True)
def _fresh_usage_state():
    from django.core.cache import cache

    from gateway_admin.usage.budgets import budgets_invalidate
    from gateway_admin.usage.counters import counters_reset
    from gateway_admin.usage.pricing import prices_invalidate

    def reset() -> None:
        budgets_invalidate()
        counters_reset()
        prices_invalidate()
        cache.clear()

    reset()
    yield
    reset()
    spend = sys.modules.get("gateway_admin.usage.spend")
    if spend is not None:  # the writer thread's connection, before the test database goes
        spend.spend_writer_close()
