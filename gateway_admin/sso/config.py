"""OIDC settings checks and the provider's discovery document."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# permissions.ROLES, spelled out: settings import this module before the apps are loaded
# (tests/gateway_admin/test_sso.py keeps the two in step).
ROLE_NAMES = ("admin", "developer")
ASYMMETRIC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def validate_oidc_settings(*, issuer: str, client_id: str, client_secret: str, scopes: str,
                           default_role: str, allowed_domains: list[str], sign_algo: str = "RS256") -> None:
    """Fail at start-up, naming the variable, rather than at someone's first sign-in."""
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ImproperlyConfigured(f"OIDC_ISSUER must be an https URL, got {issuer!r}.")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
        raise ImproperlyConfigured("OIDC_ISSUER must use https (plain http only on loopback, for tests).")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ImproperlyConfigured("OIDC_ISSUER must have no query, fragment or user info.")
    if not client_id:
        raise ImproperlyConfigured("OIDC_CLIENT_ID is required when OIDC_ISSUER is set.")
    if not client_secret:
        raise ImproperlyConfigured("OIDC_CLIENT_SECRET is required when OIDC_ISSUER is set.")
    if "openid" not in scopes.split():
        raise ImproperlyConfigured("OIDC_SCOPES must include 'openid'.")
    if sign_algo not in ASYMMETRIC_ALGORITHMS:
        # A symmetric algorithm would make the client secret a signing key that anyone holding it
        # could mint ID tokens with.
        raise ImproperlyConfigured(f"OIDC_SIGN_ALGO must be one of {', '.join(ASYMMETRIC_ALGORITHMS)}.")
    if default_role and default_role not in ROLE_NAMES:
        raise ImproperlyConfigured(f"OIDC_DEFAULT_ROLE must be empty or one of: {', '.join(ROLE_NAMES)}.")
    if default_role and not allowed_domains:
        # With Google as the provider that would be every Google account in the world.
        raise ImproperlyConfigured("OIDC_DEFAULT_ROLE gives a role to everyone the provider signs in: "
                                   "set OIDC_ALLOWED_DOMAINS too.")


class ProviderUnavailable(Exception):
    """The discovery document could not be fetched or does not describe the configured issuer."""


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str
    end_session_endpoint: str


_cache: dict[str, tuple[float, ProviderMetadata]] = {}
_lock = threading.Lock()


def _endpoint(document: dict[str, Any], name: str, *, required: bool, issuer: str) -> str:
    value = document.get(name) or ""
    if not isinstance(value, str) or (required and not value):
        raise ProviderUnavailable(f"the provider's discovery document has no {name}")
    if value:
        parts = urlsplit(value)
        issuer_scheme = urlsplit(issuer).scheme
        if parts.scheme != issuer_scheme or not parts.hostname:
            raise ProviderUnavailable(f"the provider's {name} is not an {issuer_scheme} URL")
    return value


def provider_metadata() -> ProviderMetadata:
    """The configured provider's endpoints, from its discovery document (cached per process)."""
    issuer: str = settings.OIDC_ISSUER
    now = time.monotonic()
    cached = _cache.get(issuer)
    if cached and cached[0] > now:
        return cached[1]
    with _lock:
        cached = _cache.get(issuer)
        if cached and cached[0] > now:
            return cached[1]
        url = issuer + "/.well-known/openid-configuration"
        try:
            response = httpx.get(url, timeout=settings.OIDC_TIMEOUT, follow_redirects=False)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderUnavailable(f"could not read {url}: {exc.__class__.__name__}") from exc
        if not isinstance(document, dict):
            raise ProviderUnavailable(f"{url} is not a JSON object")
        # OpenID Connect Discovery 1.0, section 4.3: the issuer it names must be exactly ours.
        if str(document.get("issuer", "")).rstrip("/") != issuer:
            raise ProviderUnavailable(f"{url} names another issuer ({document.get('issuer')!r})")
        metadata = ProviderMetadata(
            issuer=str(document["issuer"]),
            authorization_endpoint=_endpoint(document, "authorization_endpoint", required=True, issuer=issuer),
            token_endpoint=_endpoint(document, "token_endpoint", required=True, issuer=issuer),
            jwks_uri=_endpoint(document, "jwks_uri", required=True, issuer=issuer),
            userinfo_endpoint=_endpoint(document, "userinfo_endpoint", required=False, issuer=issuer),
            end_session_endpoint=_endpoint(document, "end_session_endpoint", required=False, issuer=issuer),
        )
        _cache[issuer] = (now + settings.OIDC_DISCOVERY_CACHE_SECONDS, metadata)
        return metadata


def forget_provider_metadata() -> None:
    _cache.clear()
