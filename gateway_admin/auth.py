"""API token authentication for the config API: `Authorization: Bearer <token>`."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from gateway_admin.models import ApiToken
from gateway_admin.services.audit import TOKEN_ATTR
from gateway_admin.services.tokens import api_token_authenticate


def bearer_token_from_header(header: bytes | str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value, or None when not a bearer header."""
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


class BearerTokenAuthentication(BaseAuthentication):
    """Authenticates as the token's user; `request.auth` is the ApiToken row.

    A present but unknown, revoked or expired token is a 401, never a silent fallback to the session.
    """

    keyword = "Bearer"

    def authenticate(self, request: Any) -> tuple[Any, ApiToken] | None:
        raw = bearer_token_from_header(get_authorization_header(request))
        if raw is None:
            return None
        if not raw:
            raise exceptions.AuthenticationFailed("The Authorization header has no token after 'Bearer'.")
        token = api_token_authenticate(raw)
        if token is None:
            raise exceptions.AuthenticationFailed("The API token is unknown, revoked or expired.")
        user = token.user
        setattr(user, TOKEN_ATTR, token)
        return user, token

    def authenticate_header(self, request: Any) -> str:
        return f'{self.keyword} realm="api"'
