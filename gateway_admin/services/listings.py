"""Model listing services (owned by the List Models work)."""

from __future__ import annotations


def listing_refresh_enqueue(*, key_id: int) -> None:
    """Ask for a background refresh of a key's model listing. Call inside transaction.on_commit."""
    # Filled in by the List Models work: enqueue gateway_admin.tasks.models_refresh_task(key_id).
    return None
