"""Service-account credentials: validation before google-auth sees them, and their fingerprint.

- `parse_service_account(raw, *, allowed_token_uris=())` -> `ServiceAccountInfo | None` (None: "",
  Application Default Credentials). Raises `ConfigError("auth_credentials", ...)` naming the problem,
  never quoting key material.
- `credential_fingerprint(raw, *, allowed_token_uris=())` -> 16 hex digits ("" for ADC).
- `GOOGLE_TOKEN_URI`: the only token endpoint accepted unless the operator allows another.

`routing.config` re-exports all of these.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from routing.config_errors import ConfigError, _shown

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"


@dataclass(frozen=True)
class ServiceAccountInfo:
    """The non-secret identity of a service-account credential, safe to show and log."""

    client_email: str
    private_key_id: str
    fingerprint: str
    token_uri: str
    project_id: str = ""


GOOGLE_UNIVERSE_DOMAIN = "googleapis.com"
_SA_REQUIRED = ("client_email", "private_key", "private_key_id", "token_uri")
_CRED_FIELD = "auth_credentials"
_SA_CACHE: dict[tuple[str, tuple[str, ...]], ServiceAccountInfo] = {}
_SA_CACHE_LOCK = threading.Lock()
_SA_CACHE_MAX = 256
_SA_MAX_CHARS = 64 * 1024  # a real key file is about 2.4 KB


def parse_service_account(raw: str | Mapping[str, Any] | None, *,
                          allowed_token_uris: Iterable[str] = ()) -> ServiceAccountInfo | None:
    """Validate a service-account key before google-auth sees it; None for "" (Application Default
    Credentials).

    Checks: a JSON object; `type` is "service_account"; `client_email`, `private_key`,
    `private_key_id`, `token_uri` present; the private key is an RSA PEM key that `cryptography`
    can load; `token_uri` is Google's (`GOOGLE_TOKEN_URI`) unless listed in `allowed_token_uris`;
    `universe_domain`, when present, is "googleapis.com".
    Error messages name the problem and never contain key material.
    """
    if raw is None or raw == "":
        return None
    allowed = tuple(allowed_token_uris)
    if isinstance(raw, Mapping):
        raw = json.dumps(dict(raw))
    if not isinstance(raw, str):
        raise ConfigError(_CRED_FIELD, "must be the service-account key file as a JSON string.")
    cache_key = (hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest(), allowed)
    with _SA_CACHE_LOCK:
        cached = _SA_CACHE.get(cache_key)
    if cached is not None:
        return cached
    info = _parse_service_account(raw, allowed)
    with _SA_CACHE_LOCK:
        if len(_SA_CACHE) >= _SA_CACHE_MAX:
            _SA_CACHE.clear()
        _SA_CACHE[cache_key] = info
    return info


def _parse_service_account(raw: str, allowed: tuple[str, ...]) -> ServiceAccountInfo:
    # Errors are raised outside `except` blocks so no exception context (json's holds the whole
    # document) travels with them into a log.
    data: object = None
    decode_problem = ""
    if len(raw) > _SA_MAX_CHARS:
        raise ConfigError(_CRED_FIELD, "is far too large to be a service-account key file.")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        decode_problem = f"is not valid JSON{where}: paste the whole key file downloaded from the Google Cloud console."
    if decode_problem:
        raise ConfigError(_CRED_FIELD, decode_problem)
    if not isinstance(data, dict):
        raise ConfigError(
            _CRED_FIELD,
            f"must be a JSON object (a service-account key file), not a JSON {_json_kind(data)}.",
        )
    kind = data.get("type")
    if kind != "service_account":
        shown = _shown(kind, 40) if isinstance(kind, str) else "missing"
        raise ConfigError(
            _CRED_FIELD,
            f"type is {shown}; only service-account keys (\"type\": \"service_account\") are accepted "
            "(user credentials such as authorized_user or external_account are not).",
        )
    missing = [name for name in _SA_REQUIRED if not isinstance(data.get(name), str) or not data.get(name)]
    if missing:
        raise ConfigError(_CRED_FIELD, f"is missing {', '.join(missing)}: paste the complete key file.")
    client_email: str = data["client_email"]
    if "@" not in client_email or any(c.isspace() for c in client_email) or len(client_email) > 254:
        raise ConfigError(_CRED_FIELD, "client_email is not an email address.")
    private_key_id: str = data["private_key_id"]
    if not re.fullmatch(r"[A-Za-z0-9]{1,128}", private_key_id):
        raise ConfigError(_CRED_FIELD, "private_key_id must be letters and digits (as Google issues it).")
    universe = data.get("universe_domain", GOOGLE_UNIVERSE_DOMAIN)
    if universe != GOOGLE_UNIVERSE_DOMAIN:
        shown = _shown(universe, 60) if isinstance(universe, str) else f"a JSON {_json_kind(universe)}"
        raise ConfigError(
            _CRED_FIELD,
            f"universe_domain is {shown}; only {GOOGLE_UNIVERSE_DOMAIN} (Google Cloud's public universe, "
            "where Vertex AI is called) is supported.",
        )
    token_uri: str = data["token_uri"]
    if token_uri != GOOGLE_TOKEN_URI and token_uri not in allowed:
        raise ConfigError(
            _CRED_FIELD,
            f"token_uri is {_shown(token_uri)}; it must be {GOOGLE_TOKEN_URI} (other token endpoints "
            "must be allowed explicitly by the operator).",
        )
    der = _private_key_der(data["private_key"])
    project_id = data.get("project_id")
    return ServiceAccountInfo(
        client_email=client_email,
        private_key_id=private_key_id,
        fingerprint=_fingerprint(client_email, private_key_id, der),
        token_uri=token_uri,
        project_id=project_id if isinstance(project_id, str) else "",
    )


def _json_kind(value: object) -> str:
    return {list: "array", str: "string", bool: "boolean", int: "number", float: "number",
            type(None): "null"}.get(type(value), type(value).__name__)


def _private_key_der(pem: str) -> bytes:
    """The key as PKCS#8 DER, or ConfigError saying why it cannot be used (never quoting it)."""
    if "\n" not in pem.strip() and "\\n" in pem:
        raise ConfigError(
            _CRED_FIELD,
            "private_key contains the two characters backslash and n instead of line breaks: the key "
            "file was escaped twice. Paste the JSON key file exactly as downloaded.",
        )
    key: object = None
    try:
        key = serialization.load_pem_private_key(pem.encode("utf-8"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    if key is None:
        raise ConfigError(
            _CRED_FIELD,
            "private_key is not a readable PEM private key: use the unencrypted key exactly as it "
            "appears in the downloaded key file, BEGIN and END lines included.",
        )
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError(_CRED_FIELD, "private_key must be an RSA key, as Google issues for service accounts.")
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _fingerprint(client_email: str, private_key_id: str, der: bytes) -> str:
    # sha256 over email, key id and the key's canonical DER form: stable across JSON formatting and
    # PEM line wrapping, different for every new key; 16 hex chars identify it without revealing it.
    digest = hashlib.sha256()
    digest.update(client_email.encode())
    digest.update(b"\0")
    digest.update(private_key_id.encode())
    digest.update(b"\0")
    digest.update(der)
    return digest.hexdigest()[:16]


def credential_fingerprint(raw: str | Mapping[str, Any] | None, *, allowed_token_uris: Iterable[str] = ()) -> str:
    """The credential's fingerprint: the first 16 hex digits of sha256(client_email NUL private_key_id
    NUL private-key PKCS#8 DER). "" for Application Default Credentials. Raises ConfigError when the
    credential is invalid."""
    info = parse_service_account(raw, allowed_token_uris=allowed_token_uris)
    return info.fingerprint if info else ""
