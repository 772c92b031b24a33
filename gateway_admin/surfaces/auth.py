"""Bearer API-token authentication for the gateway's HTTP surfaces.

The surface reads the raw token from its header; the lookup (cached briefly per process, evicted
at once on revoke or a change of the owner's role) is `services.tokens.api_token_info`.
"""

from __future__ import annotations

from django.http import HttpRequest

from gateway_admin.pipeline.errors import unauthorized
from gateway_admin.services.tokens import TokenInfo, api_token_info


def bearer_token(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if not header:
        raise unauthorized(
            "You didn't provide an API key. Send it as `Authorization: Bearer <token>`; "
            "create one under Settings > API tokens."
        )
    if scheme.lower() != "bearer" or not raw.strip():
        raise unauthorized("The Authorization header must be `Bearer <token>`.")
    return raw.strip()


async def authenticate_raw(raw: str) -> TokenInfo:
    """The token `raw` names, or GatewayError 401 (unknown, revoked, expired, or its owner has no role)."""
    info = await api_token_info(raw)
    if info is None:
        raise unauthorized("Incorrect API key provided, or the token was revoked or has expired.")
    if info.expired:
        raise unauthorized("This API token has expired.")
    return info


async def authenticate(request: HttpRequest) -> TokenInfo:
    """The caller's bearer token, or GatewayError 401 (missing, malformed, unknown, revoked or expired)."""
    return await authenticate_raw(bearer_token(request))


__all__ = ["TokenInfo", "authenticate", "authenticate_raw", "bearer_token"]
