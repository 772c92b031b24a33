"""Google's OAuth2 token endpoint, as a service account sees it (JWT-bearer grant), and bearer checks.

google-auth signs an RS256 assertion with the key's private key; its `aud` is always
`https://oauth2.googleapis.com/token` whatever `token_uri` says (google/oauth2/service_account.py),
and it posts `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=...` form-encoded
(google/oauth2/_client.py). Only the public half of each registered key is kept.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_LIFETIME = 3599
# Google accepts assertions valid for at most an hour (plus a little clock skew).
_MAX_ASSERTION_LIFETIME = 3600 + 300
_SKEW = 300


@dataclass(frozen=True)
class PublicAccount:
    client_email: str
    private_key_id: str
    project_id: str
    public_key: rsa.RSAPublicKey


@dataclass
class IssuedToken:
    client_email: str
    project_id: str
    expires_at: float


class TokenError(Exception):
    """A refused grant: `error` / `error_description` as Google's token endpoint writes them."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def public_account(info: dict[str, Any]) -> PublicAccount:
    """The public part of a service-account key (full key JSON, or client_email/private_key_id/public_key_pem)."""
    for name in ("client_email",):
        if not isinstance(info.get(name), str) or not info[name]:
            raise ValueError(f"{name}: required")
    if isinstance(info.get("public_key_pem"), str):
        key = serialization.load_pem_public_key(info["public_key_pem"].encode())
    elif isinstance(info.get("private_key"), str):
        private = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
        key = private.public_key()
    else:
        raise ValueError("private_key: required (or public_key_pem)")
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("private_key: must be an RSA key")
    email = info["client_email"]
    project = info.get("project_id") or email.partition("@")[2].split(".", 1)[0]
    return PublicAccount(email, str(info.get("private_key_id") or ""), str(project), key)


def public_key_pem(account: PublicAccount) -> str:
    return account.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


class TokenIssuer:
    """Verifies assertions, issues opaque access tokens, and checks bearer tokens."""

    def __init__(self) -> None:
        self.accounts: dict[str, PublicAccount] = {}
        self.tokens: dict[str, IssuedToken] = {}
        self.minted = 0

    def register(self, account: PublicAccount) -> None:
        self.accounts[account.client_email] = account

    def grant(self, form_body: bytes, content_type: str) -> dict[str, Any]:
        if "json" in content_type:
            try:
                form = {k: str(v) for k, v in orjson.loads(form_body).items()}
            except (orjson.JSONDecodeError, AttributeError):
                raise TokenError("invalid_request", "Could not parse the request body.") from None
        else:
            form = {k: v[0] for k, v in parse_qs(form_body.decode("latin-1")).items()}
        grant_type = form.get("grant_type")
        if grant_type != JWT_GRANT:
            raise TokenError("unsupported_grant_type", f"Invalid grant_type: {grant_type or ''}")
        assertion = form.get("assertion")
        if not assertion:
            raise TokenError("invalid_request", "Missing required parameter: assertion")
        claims = self._verify(assertion)
        token = "ya29.emu-" + secrets.token_urlsafe(48)
        account = self.accounts[claims["iss"]]
        self.tokens[token] = IssuedToken(account.client_email, account.project_id, time.time() + TOKEN_LIFETIME)
        self.minted += 1
        return {"access_token": token, "expires_in": TOKEN_LIFETIME, "token_type": "Bearer"}

    def _verify(self, assertion: str) -> dict[str, Any]:
        parts = assertion.split(".")
        if len(parts) != 3:
            raise TokenError("invalid_grant", "Invalid JWT: the assertion is not a signed JWT.")
        try:
            header = orjson.loads(_b64(parts[0]))
            claims = orjson.loads(_b64(parts[1]))
            signature = _b64(parts[2])
        except (binascii.Error, ValueError):
            raise TokenError("invalid_grant", "Invalid JWT: the assertion is not a signed JWT.") from None
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise TokenError("invalid_grant", "Invalid JWT: the assertion is not a signed JWT.")
        if header.get("alg") != "RS256":
            raise TokenError("invalid_grant", "Invalid JWT Signature.")
        account = self.accounts.get(str(claims.get("iss")))
        if account is None:
            raise TokenError("invalid_grant", "Invalid grant: account not found")
        kid = header.get("kid")
        if kid and account.private_key_id and kid != account.private_key_id:
            raise TokenError("invalid_grant", "Invalid JWT Signature.")
        try:
            account.public_key.verify(
                signature, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            raise TokenError("invalid_grant", "Invalid JWT Signature.") from None
        if claims.get("aud") != GOOGLE_TOKEN_AUDIENCE:
            raise TokenError(
                "invalid_grant", "Invalid JWT: Failed audience check. The right audience is " + GOOGLE_TOKEN_AUDIENCE
            )
        now = time.time()
        iat, exp = claims.get("iat"), claims.get("exp")
        if (
            not isinstance(iat, int | float)
            or not isinstance(exp, int | float)
            or exp < now - _SKEW
            or iat > now + _SKEW
            or exp - iat > _MAX_ASSERTION_LIFETIME
        ):
            raise TokenError(
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
                "Check your iat and exp values in the JWT claim.",
            )
        if not str(claims.get("scope") or "").strip():
            raise TokenError("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        return claims

    def check(self, authorization: str | None) -> IssuedToken | None:
        """The token behind an `Authorization: Bearer ...` header, or None if unknown or expired."""
        if not authorization or not authorization[:7].lower() == "bearer ":
            return None
        issued = self.tokens.get(authorization[7:].strip())
        if issued is None or issued.expires_at <= time.time():
            return None
        return issued

    def expire(self, token: str | None = None) -> int:
        """Expire one token (or all); returns how many were expired."""
        count = 0
        for value, issued in self.tokens.items():
            if token is None or value == token:
                issued.expires_at = 0
                count += 1
        return count


UNAUTHENTICATED = {
    "error": {
        "code": 401,
        "message": "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project.",
        "status": "UNAUTHENTICATED",
    }
}
