"""The one validation error services raise: every bad field with plain-language reasons."""

from __future__ import annotations

from collections.abc import Mapping


class ServiceValidationError(ValueError):
    """Input was refused; nothing was saved.

    `errors` maps a field path to its reasons. Paths are what the user sent: "name", "weight",
    "vertex_key_config.region", "vertex_key_config.deployments.my-alias", "items[2].name".
    """

    def __init__(self, errors: Mapping[str, list[str] | str]) -> None:
        self.errors: dict[str, list[str]] = {
            field: [reasons] if isinstance(reasons, str) else list(reasons) for field, reasons in errors.items()
        }
        summary = "; ".join(f"{field}: {' '.join(reasons)}" for field, reasons in self.errors.items())
        super().__init__(summary or "invalid input")

    def prefixed(self, prefix: str) -> ServiceValidationError:
        """The same errors with every field path put under `prefix` (e.g. "items[0]")."""
        return ServiceValidationError({f"{prefix}.{field}": reasons for field, reasons in self.errors.items()})
