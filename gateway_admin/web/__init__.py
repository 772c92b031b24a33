"""Server-rendered dashboard and playground pages (templates/ + static/)."""
