"""Key and deployment configuration as plain dataclasses, and their validation.

The Django side builds these from ORM rows (gateway_admin/routing_config.py); the router and the
listing client consume them. Every validator raises `ConfigError(field, message)` with the
field name a user can act on and a plain-language reason, and never trims or case-folds.

- `validate_region`, `validate_project_id`, `validate_project_number`, `validate_alias`,
  `validate_target`, `validate_allowed_model`: one value each, returned unchanged when valid.
- `parse_service_account(raw, *, allowed_token_uris=())` -> `ServiceAccountInfo | None` (None: "",
  Application Default Credentials); `credential_fingerprint(raw)`: defined in `routing.credentials`,
  re-exported here.
- `parse_vertex_key_config(data, *, allowed_token_uris=())` -> `ParsedKeyConfig`, or `ConfigErrors`
  listing every bad field; `loads_config(text)` keeps duplicate keys visible to it.
- `availability_warnings(...)`: deployments the catalog says are not served where they will be called.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Credential parsing lives in routing.credentials; re-exported so `from routing.config import ...` keeps working.
from routing.config_errors import ConfigError, _shown
from routing.credentials import (
    _CRED_FIELD,
    GOOGLE_TOKEN_URI,
    ServiceAccountInfo,
    credential_fingerprint,
    parse_service_account,
)
from routing.residency import DEFAULT_REGION_FAILOVER, REGION_FAILOVER_MODES

__all__ = [
    "GOOGLE_TOKEN_URI", "KEY_CONFIG_FIELDS", "MAX_ALLOWED_MODELS", "MAX_DEPLOYMENTS", "ConfigError", "ConfigErrors", "Deployment", "JSONObject", "KeyConfig",
    "ParsedKeyConfig", "ServiceAccountInfo", "availability_warnings", "credential_fingerprint", "loads_config",
    "parse_service_account", "parse_vertex_key_config", "validate_alias", "validate_allowed_model",
    "validate_project_id", "validate_project_number", "validate_region", "validate_target",
]


@dataclass(frozen=True)
class Deployment:
    """alias -> target. `region` overrides the key's region for this alias (None: key's region)."""

    alias: str
    target: str
    region: str | None = None
    enabled: bool = True


@dataclass(frozen=True)
class KeyConfig:
    """One `vertex_key_config`, decrypted, ready for routing.

    `credentials` is the raw service-account JSON ("" means Application Default Credentials). It is
    excluded from repr so that a logged KeyConfig never shows the secret.

    `region_failover` says where a call may go when its region answers 429/5xx/404 (see
    `routing.residency`): "any" (default, the design contract's availability-first behaviour:
    `global` first where the catalog serves the model there, then anywhere that serves it),
    "geography" (for data-residency needs: only regions of the same residency zone, e.g.
    us-central1 -> us-east5 or europe-west4 -> europe-west1, never `global` unless the region called
    is `global`) or "off" (never leaves the configured region). Any other value raises
    `ConfigError("region_failover", ...)`.
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
    region_failover: str = DEFAULT_REGION_FAILOVER

    def __post_init__(self) -> None:
        if self.region_failover not in REGION_FAILOVER_MODES:
            raise ConfigError("region_failover", f"{_shown(self.region_failover)} is not one of "
                                                 f"{', '.join(REGION_FAILOVER_MODES)}.")


# ---------------------------------------------------------------------------------------------
# Validators. Each returns the value unchanged or raises ConfigError; none trims or case-folds,
# because a value that needs fixing is a value the user should see rejected.

_REGION_SHAPE = re.compile(r"[a-z]+(?:-[a-z]+[0-9]+)?")
_PROJECT_ID = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]")
_PROJECT_NUMBER = re.compile(r"[0-9]{1,20}")
# One path segment's worth of model id: letters, digits, ".", "_", "@", "-"; starts alphanumeric
# (so never "." or ".."). Everything else (/ ? # : % whitespace, unicode) is refused.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")
_MAX_NAME = 128
# A Vertex version suffix, as the catalog and Vertex's model garden write them: a date
# (claude-sonnet-4-5@20250929), a revision (imagegeneration@006, mistral-large@2407), or the
# `latest` / `default` tags. Nothing else may follow an "@" (never a host: gemini-2.0-flash@evil.com).
_VERSION = re.compile(r"[0-9]{1,8}|latest|default")
# How many deployments and allowedModels entries one key may carry (the API, form and import alike).
MAX_DEPLOYMENTS = 500
MAX_ALLOWED_MODELS = 500


def _version_ok(value: str) -> bool:
    """At most one "@", and what follows it is a Vertex version (`_VERSION`)."""
    if "@" not in value:
        return True
    _base, _, version = value.partition("@")
    return bool(_VERSION.fullmatch(version))


_VERSION_RULE = ("after '@' only a Vertex version: digits (@20250929, @001) or @latest / @default")


def _require_str(field_name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ConfigError(field_name, f"must be a string, not {type(value).__name__}.")
    if not value:
        raise ConfigError(field_name, "is required and may not be empty.")
    return value


def validate_region(region: object, field_name: str = "region") -> str:
    """A known Vertex AI region id (`routing.catalog.REGIONS`) in its exact lowercase form."""
    from routing.catalog import is_known_region

    value = _require_str(field_name, region)
    if not _REGION_SHAPE.fullmatch(value):
        raise ConfigError(
            field_name,
            f"{_shown(value)} is not a region id: use lowercase letters, digits and one hyphen, "
            "exactly as Google writes it (for example us-central1, europe-west4, global), "
            "with no spaces, dots, slashes or other characters.",
        )
    if not is_known_region(value):
        raise ConfigError(
            field_name,
            f"{_shown(value)} is not a Vertex AI region this gateway knows "
            "(for example us-central1, us-east5, europe-west1, asia-southeast1, global, us or eu).",
        )
    return value


def validate_project_id(project_id: object, field_name: str = "project_id") -> str:
    """A Google Cloud project id: 6-30 characters, lowercase letter first, lowercase letters, digits
    and hyphens, not ending in a hyphen."""
    value = _require_str(field_name, project_id)
    if not _PROJECT_ID.fullmatch(value):
        raise ConfigError(
            field_name,
            f"{_shown(value)} is not a Google Cloud project id: it must be 6 to 30 characters of "
            "lowercase letters, digits and hyphens, start with a letter and not end with a hyphen "
            "(for example my-project-123).",
        )
    return value


def validate_project_number(project_number: object, field_name: str = "project_number") -> str:
    """A Google Cloud project number: digits only (up to 20). "" is allowed (it is optional)."""
    if project_number == "":
        return ""
    value = _require_str(field_name, project_number)
    if not _PROJECT_NUMBER.fullmatch(value):
        raise ConfigError(
            field_name,
            f"{_shown(value)} is not a project number: it must be digits only (for example 123456789012).",
        )
    return value


def validate_alias(alias: object, field_name: str = "alias") -> str:
    """A deployment alias (the model name callers use): letters, digits, ".", "_", "@", "-"."""
    value = _require_str(field_name, alias)
    if len(value) > _MAX_NAME or not _NAME.fullmatch(value):
        raise ConfigError(
            field_name,
            f"{_shown(value)} is not a valid model alias: use at most {_MAX_NAME} letters, digits, "
            "'.', '_', '@' and '-', starting with a letter or digit (no '/', '?', '#', ':' or spaces).",
        )
    if not _version_ok(value):
        raise ConfigError(field_name, f"{_shown(value)} is not a valid model alias: {_VERSION_RULE}.")
    return value


def _valid_model_id(value: str) -> bool:
    if len(value) > _MAX_NAME:
        return False
    parts = value.split("/")
    if len(parts) > 2:
        return False
    # A partner MaaS id is publisher/model (meta/llama-3.3-70b-instruct-maas).
    return all(_NAME.fullmatch(p) for p in parts)


def _version_problem(value: str, what: str) -> str | None:
    return None if _version_ok(value) else f"{_shown(value)} is not a valid {what}: {_VERSION_RULE}."


def validate_target(target: object, field_name: str = "target") -> str:
    """A deployment target: a model id (`gemini-2.0-flash`, `claude-sonnet-4-5@20250929`), a partner
    MaaS id with exactly one "/" (`meta/llama-3.3-70b-instruct-maas`) or a fine-tuned endpoint id
    (digits). The shape must also be one `routing.catalog.family_of` can route."""
    from routing.catalog import family_of

    value = _require_str(field_name, target)
    if not _valid_model_id(value):
        raise ConfigError(
            field_name,
            f"{_shown(value)} is not a valid model id: use letters, digits, '.', '_', '@' and '-' "
            "(at most one '/', as in meta/llama-3.3-70b-instruct-maas; no '?', '#', ':' or spaces).",
        )
    version_problem = _version_problem(value, "model id")
    if version_problem:
        raise ConfigError(field_name, version_problem)
    try:
        family_of(value)
    except ConfigError as exc:
        problem = exc.message
    else:
        return value
    raise ConfigError(field_name, problem)


def validate_allowed_model(model: object, field_name: str = "allowedModels") -> str:
    """An allowedModels entry: an alias or model id (one "/" allowed for partner MaaS ids)."""
    value = _require_str(field_name, model)
    if not _valid_model_id(value):
        raise ConfigError(
            field_name,
            f"{_shown(value)} is not a valid model name: use letters, digits, '.', '_', '@' and '-' "
            "(at most one '/'; no '?', '#', ':' or spaces).",
        )
    version_problem = _version_problem(value, "model name")
    if version_problem:
        raise ConfigError(field_name, version_problem)
    return value


# ---------------------------------------------------------------------------------------------
# The whole vertex_key_config object


class JSONObject(dict[str, Any]):
    """A JSON object as `loads_config` returns it: `duplicate_keys` lists keys that appeared twice
    (json.loads keeps the last silently, which would hide a duplicate alias)."""

    duplicate_keys: tuple[str, ...] = ()

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, Any]]) -> JSONObject:
        obj = cls(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            duplicates: list[str] = []
            for key, _ in pairs:
                if key in seen:
                    duplicates.append(key)
                seen.add(key)
            obj.duplicate_keys = tuple(duplicates)
        return obj


def loads_config(text: str | bytes) -> Any:
    """`json.loads` that remembers duplicate keys (see `JSONObject`), for `parse_vertex_key_config`.

    Use it (e.g. as a request parser's `object_pairs_hook=JSONObject.from_pairs`) wherever config
    arrives as JSON text, so that `{"deployments": {"a": "x", "a": "y"}}` is rejected, not merged.
    """
    return json.loads(text, object_pairs_hook=JSONObject.from_pairs)


def _duplicates(obj: object) -> tuple[str, ...]:
    return getattr(obj, "duplicate_keys", ())


class ConfigErrors(ConfigError):
    """Several invalid fields at once: `errors` maps each field to its reasons."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in errors.items()}
        first = next(iter(self.errors), "vertex_key_config")
        summary = "; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items())
        super().__init__(first, " ".join(self.errors.get(first, [])) or "is invalid.")
        self.args = (summary,)

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class ParsedKeyConfig:
    """A validated `vertex_key_config`. `auth_credentials` is the raw secret (excluded from repr)."""

    project_id: str
    project_number: str
    region: str
    auth_credentials: str = field(repr=False)
    credential: ServiceAccountInfo | None
    deployments: dict[str, str]
    deployment_regions: dict[str, str]
    allowedModels: list[str]  # the seed's field name


KEY_CONFIG_FIELDS = ("project_id", "project_number", "region", "auth_credentials", "deployments",
                     "allowedModels", "deployment_regions")


def parse_vertex_key_config(data: object, *, allowed_token_uris: Iterable[str] = ()) -> ParsedKeyConfig:
    """Validate a whole seed-shape `vertex_key_config` object and collect every bad field.

    Shape: `{"project_id", "project_number", "region", "auth_credentials", "deployments": {alias:
    target}, "allowedModels": [...]}` plus this gateway's extension `"deployment_regions": {alias:
    region}` (a per-deployment region override, like Claude Code's VERTEX_REGION_<MODEL>; every alias
    must be a deployment). `project_id` and `region` are required; the rest are optional.
    `auth_credentials` may be the key file as a JSON string or object ("" or absent: Application
    Default Credentials). Objects from `loads_config` also report duplicate keys (a duplicate alias).
    Raises `ConfigErrors` naming fields like "region", "auth_credentials",
    "deployments.my-alias", "deployment_regions.my-alias", "allowedModels[2]" or an unknown field.
    """
    if not isinstance(data, Mapping):
        raise ConfigErrors({"vertex_key_config": ["must be a JSON object."]})
    errors: dict[str, list[str]] = {}

    def check(field_name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            errors.setdefault(field_name, []).append(exc.message)
            return None

    for name in _duplicates(data):
        errors.setdefault(str(name), []).append("appears twice in vertex_key_config.")
    for name in data:
        if name not in KEY_CONFIG_FIELDS:
            errors.setdefault(str(name), []).append(
                f"is not a vertex_key_config field (known fields: {', '.join(KEY_CONFIG_FIELDS)})."
            )

    project_id = check("project_id", validate_project_id, data.get("project_id"))
    raw_number = data.get("project_number", "")
    if isinstance(raw_number, int) and not isinstance(raw_number, bool) and raw_number >= 0:
        raw_number = str(raw_number)  # a JSON number is the same project number, not a typo
    project_number = check("project_number", validate_project_number, raw_number)
    region = check("region", validate_region, data.get("region"))

    raw_creds = data.get("auth_credentials", "")
    if raw_creds is None:
        raw_creds = ""
    credential = check(_CRED_FIELD, parse_service_account, raw_creds, allowed_token_uris=allowed_token_uris)
    creds_text = json.dumps(raw_creds) if isinstance(raw_creds, Mapping) else raw_creds

    deployments: dict[str, str] = {}
    raw_deployments = data.get("deployments", {})
    if raw_deployments is None:
        raw_deployments = {}
    if not isinstance(raw_deployments, Mapping):
        errors.setdefault("deployments", []).append("must be an object mapping each alias to a model id.")
        raw_deployments = {}
    if len(raw_deployments) > MAX_DEPLOYMENTS:
        errors.setdefault("deployments", []).append(
            f"has {len(raw_deployments)} entries; a key may carry at most {MAX_DEPLOYMENTS} deployments.")
    checked = raw_deployments if len(raw_deployments) <= MAX_DEPLOYMENTS else {}  # one error, not 5,000
    for alias in _duplicates(checked):
        errors.setdefault(f"deployments.{alias}", []).append("this alias is defined twice; aliases must be unique.")
    for alias, target in checked.items():
        key = f"deployments.{alias}"
        ok_alias = check(key, validate_alias, alias, key)
        ok_target = check(key, validate_target, target, key)
        if ok_alias is not None and ok_target is not None:
            deployments[ok_alias] = ok_target

    deployment_regions: dict[str, str] = {}
    raw_regions = data.get("deployment_regions", {})
    if raw_regions is None:
        raw_regions = {}
    if not isinstance(raw_regions, Mapping):
        errors.setdefault("deployment_regions", []).append("must be an object mapping aliases to regions.")
        raw_regions = {}
    for alias in _duplicates(raw_regions):
        errors.setdefault(f"deployment_regions.{alias}", []).append("this alias is given two regions.")
    for alias, dep_region in raw_regions.items():
        key = f"deployment_regions.{alias}"
        if alias not in raw_deployments:
            errors.setdefault(key, []).append(f"{_shown(alias)} is not one of this key's deployments.")
            continue
        ok_region = check(key, validate_region, dep_region, key)
        if ok_region is not None:
            deployment_regions[str(alias)] = ok_region

    allowed_models: list[str] = []
    raw_allowed = data.get("allowedModels", [])
    if raw_allowed is None:
        raw_allowed = []
    if not isinstance(raw_allowed, list):
        errors.setdefault("allowedModels", []).append("must be a list of model names.")
        raw_allowed = []
    if len(raw_allowed) > MAX_ALLOWED_MODELS:
        errors.setdefault("allowedModels", []).append(
            f"has {len(raw_allowed)} entries; a key may list at most {MAX_ALLOWED_MODELS} allowedModels.")
        raw_allowed = []
    first_index: dict[str, int] = {}
    for i, model in enumerate(raw_allowed):
        key = f"allowedModels[{i}]"
        ok = check(key, validate_allowed_model, model, key)
        if ok is None:
            continue
        if ok in first_index:
            errors.setdefault(key, []).append(f"{_shown(ok)} is listed twice (also allowedModels[{first_index[ok]}]).")
            continue
        first_index[ok] = i
        allowed_models.append(ok)

    if errors:
        raise ConfigErrors(errors)
    return ParsedKeyConfig(
        project_id=project_id,
        project_number=project_number or "",
        region=region,
        auth_credentials=creds_text,
        credential=credential,
        deployments=deployments,
        deployment_regions=deployment_regions,
        allowedModels=allowed_models,
    )


_WARN_REGIONS = 6


def availability_warnings(*, region: str, deployments: Mapping[str, str],
                          deployment_regions: Mapping[str, str] | None = None,
                          catalog: Any = None) -> list[str]:
    """Readable warnings for deployments whose model the catalog says is not served in the region the
    deployment will use (its override, else the key's region). Silent when the catalog cannot tell.

    "claude-3-5-haiku@20241022 is not served in global; it is served in us-east5, europe-west1, ..."
    """
    if catalog is None:
        from routing.catalog import DEFAULT_CATALOG

        catalog = DEFAULT_CATALOG
    overrides = deployment_regions or {}
    warnings: list[str] = []
    for alias, target in deployments.items():
        used = overrides.get(alias, region)
        if catalog.is_served(target, used) is not False:
            continue
        elsewhere = catalog.failover_regions(target, used)
        if elsewhere:
            shown = ", ".join(elsewhere[:_WARN_REGIONS])
            if len(elsewhere) > _WARN_REGIONS:
                shown += f" and {len(elsewhere) - _WARN_REGIONS} more regions"
            warnings.append(f"{target} is not served in {used}; it is served in {shown}.")
        else:
            warnings.append(f"{target} is not served in {used} according to the availability catalog.")
    return warnings
