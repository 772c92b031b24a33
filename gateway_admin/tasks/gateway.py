"""Gateway tasks: request-log pruning, video polling (owned by the gateway API work)."""
