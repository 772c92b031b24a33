"""One pooled httpx client per process (async and sync); transport chosen by measurement.

CONTRACT:
- `def async_client() -> httpx.AsyncClient` and `def sync_client() -> httpx.Client`: process-wide,
  created lazily, limits from `configure(max_connections=5000, keepalive_expiry=60.0,
  connect_timeout=10.0, read_timeout=120.0)`.
- `async def aclose() -> None` for shutdown and tests.
"""
