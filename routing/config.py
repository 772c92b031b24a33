"""Key and deployment configuration as plain dataclasses, and their validation.

The Django side builds these from ORM rows (gateway_admin/routing_config.py); the router and the
listing client consume them. Every validator raises `ConfigError(field, message)` with the
field name a user can act on and a plain-language reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class ConfigError(ValueError):
    """A configuration value is invalid. `field` names it (e.g. "region", "deployments.my-alias")."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Deployment:
    """alias -> target. `region` overrides the key's region for this alias (None: key's region)."""

    alias: str
    target: str
    region: str | None = None
    enabled: bool = True


@dataclass(frozen=True)
class ServiceAccountInfo:
    """The non-secret identity of a service-account credential, safe to show and log."""

    client_email: str
    private_key_id: str
    fingerprint: str
    token_uri: str
    project_id: str = ""


@dataclass(frozen=True)
class KeyConfig:
    """One `vertex_key_config`, decrypted, ready for routing.

    `credentials` is the raw service-account JSON ("" means Application Default Credentials). It is
    excluded from repr so that a logged KeyConfig never shows the secret.
    """

    key_id: str
    name: str
    project_id: str
    region: str
    project_number: str = ""
    credentials: str = field(default="", repr=False)
    credential_fingerprint: str = ""
    deployments: tuple[Deployment, ...] = ()
    allowed_models: tuple[str, ...] = ()
    enabled: bool = True
    weight: int = 1
    # token_uri values other than Google's that this key's credential may use (the emulator).
    allowed_token_uris: tuple[str, ...] = ()
