"""Vertex List Models client, the seed 003 merge, and a key check for "Test connection" and health.

Vertex's List Models API (`GET .../locations/{r}/models?pageSize=100&pageToken=...`) returns only
custom (fine-tuned) models, so a listing built from it alone is incomplete. `merge_models` adds the
key's deployments and allowedModels to it, following the five rules of seed 003:

1. every deployed custom model (one with `deployedModels`; its endpoint id is the last path segment
   of `deployedModels[].endpoint`); one that a deployment points at by endpoint id is listed once,
   under the deployment's alias;
2. every deployment alias not listed yet (foundation models), with a readable display name;
3. every allowedModels entry not listed yet;
4. allowedModels empty: keep everything; non-empty: keep only entries whose alias/id is in it
   (custom models included);
5. no duplicate ids; display names via `routing.catalog.display_name`.

Public API (pure; the HTTP client `alist_custom_models` and the key check `check_key` are in
`routing/list_models.py`):

- `merge_models(custom, deployments, allowed_models) -> list[ModelEntry]`
- `ModelEntry` (`.as_dict()`, `ModelEntry.from_dict()`), `custom_model_from_entry(entry)`
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from .catalog import display_name

__all__ = [
    "ModelEntry",
    "Source",
    "custom_model_from_entry",
    "merge_models",
]

Source = Literal["custom", "deployment", "allowed"]


# Not frozen: a frozen dataclass's __init__ costs twice as much, and merges build 10,000s of these.
@dataclass(slots=True)
class ModelEntry:
    """One model of a key's merged listing.

    `id` is what a caller passes as `model` (an alias, a foundation model id, or a tuned endpoint
    id); `target` is what the router would call (model id or endpoint id); `endpoint_id` is set for
    tuned endpoints; `created` is Unix seconds when Vertex reported a creation time.
    """

    id: str
    display_name: str
    source: Source
    target: str
    endpoint_id: str = ""
    description: str = ""
    created: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "display_name": self.display_name,
            "source": self.source,
            "target": self.target,
            "endpoint_id": self.endpoint_id,
            "description": self.description,
            "created": self.created,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelEntry:
        return cls(
            id=str(data["id"]),
            display_name=str(data.get("display_name") or data["id"]),
            source=data.get("source", "deployment"),
            target=str(data.get("target") or data["id"]),
            endpoint_id=str(data.get("endpoint_id") or ""),
            description=str(data.get("description") or ""),
            created=data.get("created"),
        )


def _last_segment(path: str) -> str:
    return path.rstrip("/").rpartition("/")[2]


_EPOCH = datetime(1970, 1, 1)


def _created(value: Any) -> int | None:
    if not isinstance(value, str) or len(value) < 19:
        return None
    try:
        # Vertex timestamps are RFC 3339 in UTC, often with nanoseconds that fromisoformat rejects;
        # the naive-epoch subtraction is the cheapest exact conversion (this runs per custom model).
        return int((datetime.fromisoformat(value[:19]) - _EPOCH).total_seconds())
    except ValueError:
        return None


def _endpoint_ids(deployed: Any) -> list[str]:
    """Endpoint ids of a model's `deployedModels` (last path segment of each `endpoint`)."""
    ids: list[str] = []
    if not isinstance(deployed, list):
        return ids
    for item in deployed:
        endpoint = item.get("endpoint") if isinstance(item, dict) else None
        if isinstance(endpoint, str) and endpoint:
            segment = endpoint[endpoint.rfind("/", 0, len(endpoint.rstrip("/"))) + 1 :].rstrip("/")
            if segment and segment not in ids:
                ids.append(segment)
    return ids


def merge_models(
    custom: Sequence[Mapping[str, Any]],
    deployments: Mapping[str, str],
    allowed_models: Sequence[str],
) -> list[ModelEntry]:
    """Merge Vertex's custom models with a key's deployments and allowedModels (seed 003).

    `custom` is what `alist_custom_models` returned (Vertex model resources); `deployments` maps
    alias -> target in the admin's order; `allowed_models` is the allowedModels list. The result
    keeps rule order (custom, then deployments, then allowedModels) and is deterministic.

    A custom model that several aliases point at is listed under the first of them; the others are
    listed as deployment entries by rule 2 (each alias is a usable `model` id). A custom model no
    alias points at is listed under its first endpoint id, the id the router can call. A custom
    model with `deployedModels` but no parseable endpoint is listed under its model resource id.
    """
    allowed = set(allowed_models)
    restrict = bool(allowed)
    # endpoint id -> first alias pointing at it (rule 1's "under the deployment's alias").
    alias_for_endpoint: dict[str, str] = {}
    for alias, target in deployments.items():
        alias_for_endpoint.setdefault(target, alias)

    entries: list[ModelEntry] = []
    # Every id an entry answers to (its id, and a custom entry's endpoint id): rules 2, 3 and 5.
    listed: set[str] = set()
    append = entries.append

    for model in custom:
        deployed = model.get("deployedModels") or model.get("deployed_models")
        if not deployed:
            continue  # not deployed: nothing can call it
        first = deployed[0] if type(deployed) is list and len(deployed) == 1 else None
        endpoint = first.get("endpoint") if type(first) is dict else None
        if type(endpoint) is str and endpoint and endpoint[-1] != "/":
            # The common shape (one deployment), without the general loop: this runs per custom model.
            endpoint_id = endpoint[endpoint.rfind("/") + 1 :]
            alias = alias_for_endpoint.get(endpoint_id, "")
        else:
            endpoint_ids = _endpoint_ids(deployed)
            alias = ""
            endpoint_id = ""
            for candidate in endpoint_ids:
                alias = alias_for_endpoint.get(candidate, "")
                if alias:
                    endpoint_id = candidate
                    break
            else:
                endpoint_id = endpoint_ids[0] if endpoint_ids else ""
        model_id = alias or endpoint_id or _last_segment(str(model.get("name", "")))
        if not model_id or model_id in listed:
            continue
        listed.add(model_id)
        if endpoint_id:
            listed.add(endpoint_id)
        if restrict and model_id not in allowed and endpoint_id not in allowed:
            continue
        shown = model.get("displayName") or model.get("display_name")
        append(
            ModelEntry(
                model_id,
                shown if isinstance(shown, str) and shown else display_name(model_id),
                "custom",
                endpoint_id or model_id,
                endpoint_id,
                str(model.get("description") or ""),
                _created(model.get("createTime") or model.get("create_time")),
            )
        )

    for alias, target in deployments.items():
        if alias in listed:
            continue
        listed.add(alias)
        if restrict and alias not in allowed:
            continue
        append(
            ModelEntry(
                id=alias,
                display_name=display_name(alias, target),
                source="deployment",
                target=target,
                endpoint_id=target if target.isdigit() else "",
            )
        )

    for model_id in allowed_models:
        if model_id in listed:
            continue
        listed.add(model_id)
        append(
            ModelEntry(
                id=model_id,
                display_name=display_name(model_id),
                source="allowed",
                target=model_id,
                endpoint_id=model_id if model_id.isdigit() else "",
            )
        )
    return entries


def custom_model_from_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Rebuild a minimal Vertex model resource from a stored custom entry (for previews)."""
    model: dict[str, Any] = {
        "name": f"models/{entry.get('endpoint_id') or entry['id']}",
        "displayName": entry.get("display_name") or "",
        "description": entry.get("description") or "",
    }
    if entry.get("endpoint_id"):
        model["deployedModels"] = [{"endpoint": f"endpoints/{entry['endpoint_id']}"}]
    else:
        model["deployedModels"] = [{}]
    if entry.get("created"):
        model["createTime"] = datetime.fromtimestamp(int(entry["created"]), UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
    return model
