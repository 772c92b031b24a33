"""`ConfigError`, the one error every configuration validator raises (routing.config,
routing.credentials, routing.catalog), kept in a leaf module so those modules can share it without
importing each other."""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration value is invalid. `field` names it (e.g. "region", "deployments.my-alias")."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _shown(value: object, limit: int = 80) -> str:
    """A user-supplied value quoted for a message; repr() makes newlines and control characters visible."""
    text = value if isinstance(value, str) else repr(value)
    return repr(text if len(text) <= limit else text[:limit] + "...")
