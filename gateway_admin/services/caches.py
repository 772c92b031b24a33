"""Evicting per-process caches after a write, the one way the services do it."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction


def evict_now_and_on_commit(evict: Callable[[], None]) -> None:
    """Evict now, so this process sees the change at once, and again once the transaction commits:
    a read in between could have cached the rows as they were before the commit."""
    evict()
    transaction.on_commit(evict)
