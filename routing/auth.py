"""Bearer tokens for Vertex: service account or Application Default Credentials, cached, single-flight.

CONTRACT:
- `class TokenCache`: `TokenCache(*, refresh_margin_seconds=300.0, clock=time.time)`;
  `async def token(key: KeyConfig) -> str`; `def token_sync(key: KeyConfig) -> str`;
  `def invalidate(key: KeyConfig) -> None`; `token_requests: int` (how many tokens were minted).
  Cached per (key_id, credential fingerprint); refreshed `refresh_margin` before expiry; one refresh
  at a time per key (20 concurrent callers on a cold key -> exactly one token request); "" credentials
  -> google.auth.default(scopes=[cloud-platform]).
- `TOKEN_CACHE`: the process-wide instance.
- `SCOPE = "https://www.googleapis.com/auth/cloud-platform"`.
"""
