"""Where Anthropic-dialect clients put the gateway's API token.

The anthropic SDK sends `x-api-key` (ANTHROPIC_API_KEY) or `Authorization: Bearer` (auth_token,
Claude Code's ANTHROPIC_AUTH_TOKEN); either carries a gateway token `vga_...`.
"""

from __future__ import annotations

from django.http import HttpRequest

from gateway_admin.pipeline.errors import unauthorized
from gateway_admin.surfaces.auth import bearer_token


def anthropic_credential(request: HttpRequest) -> str:
    api_key = request.headers.get("x-api-key", "").strip()
    if api_key:
        return api_key
    if request.headers.get("Authorization"):
        return bearer_token(request)
    raise unauthorized("You didn't provide an API key. Send a gateway token as `x-api-key: <token>` or "
                       "`Authorization: Bearer <token>`; create one under Settings > API tokens.")
