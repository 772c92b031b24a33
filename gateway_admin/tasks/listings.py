"""Model-listing refresh and key health tasks (owned by the List Models work)."""
