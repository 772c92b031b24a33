"""Where Vertex-dialect clients put the gateway's API token.

google-genai and AnthropicVertex send `Authorization: Bearer` (their access token: here a gateway
token); google-genai with an API key sends `x-goog-api-key`. Claude Code in Vertex mode with
CLAUDE_CODE_SKIP_VERTEX_AUTH=1 sends no Authorization header of its own, so the token comes through
ANTHROPIC_CUSTOM_HEADERS="Authorization: Bearer vga_...".
"""

from __future__ import annotations

from django.http import HttpRequest

from gateway_admin.pipeline.errors import unauthorized
from gateway_admin.surfaces.auth import bearer_token


def vertex_credential(request: HttpRequest) -> str:
    api_key = request.headers.get("x-goog-api-key", "").strip()
    if api_key:
        return api_key
    if request.headers.get("Authorization"):
        return bearer_token(request)
    raise unauthorized("No gateway token. Send `Authorization: Bearer <token>` or `x-goog-api-key: <token>` "
                       "(Claude Code: CLAUDE_CODE_SKIP_VERTEX_AUTH=1 with "
                       "ANTHROPIC_CUSTOM_HEADERS=\"Authorization: Bearer <token>\").")
