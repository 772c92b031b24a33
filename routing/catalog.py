"""Model x region availability, model families and display names.

The data lives in `routing/data/regions.json` and `routing/data/availability.json` (built from the
seeds; their "about" entries say how). This module loads it once and answers questions about it:

- `REGIONS`: tuple of `Region(id, label, geography)` for every known Vertex region, plus
  `global` (geography "Global") and the `us`/`eu` multi-regions (geography "Multi-region").
- `is_known_region(region) -> bool`; `region_groups()` groups `REGIONS` by geography for pickers.
- `family_of(target) -> str`: "gemini", "anthropic", "mistral", "openai_compat", "tuned",
  "embedding", "imagen" or "veo", decided from the resolved target; `ConfigError("target", ...)`
  for any other shape.
- `base_model(target) -> str`: the catalog id of a target ("claude-3-5-haiku@20241022" ->
  "claude-3-5-haiku", "gemini-2.0-flash-001" -> "gemini-2.0-flash").
- `display_name(model_id, target=None) -> str`: the catalog's name of the target (else of the id)
  where the catalog knows the model ("Claude Sonnet 4.5"), else seed 003's rule: split on "-" (else
  "_"), capitalise each part.
- `Catalog`: availability with admin overrides and what Vertex's 404 answers taught this process.
- `DEFAULT_CATALOG`: a `Catalog` with no overrides.

Availability is three-valued: True (served), False (not served), None (the seeds do not say).
Callers warn or fail over only on a definite answer.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from routing.config_errors import ConfigError, _shown
from routing.residency import allowed_failover

_DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Region:
    """One Vertex AI location as shown in a region picker."""

    id: str
    label: str
    geography: str


def _load_json(name: str) -> Any:
    with (_DATA_DIR / name).open(encoding="utf-8") as fh:
        return json.load(fh)


_REGIONS_DOC = _load_json("regions.json")
GEOGRAPHIES: tuple[str, ...] = tuple(_REGIONS_DOC["geographies"])
REGIONS: tuple[Region, ...] = tuple(Region(r["id"], r["label"], r["geography"]) for r in _REGIONS_DOC["regions"])
_REGION_BY_ID: dict[str, Region] = {r.id: r for r in REGIONS}
_REGION_ORDER: dict[str, int] = {r.id: i for i, r in enumerate(REGIONS)}
# Multi-regions sit next to the single regions they span when choosing a nearby failover region.
_NEAR_GEOGRAPHY = {"us": "United States", "eu": "Europe"}


def is_known_region(region: str) -> bool:
    """True for a region id of `REGIONS` (exact match: no trimming, no case-folding)."""
    return isinstance(region, str) and region in _REGION_BY_ID


def region_groups() -> list[tuple[str, list[Region]]]:
    """Known regions grouped by geography, in picker order (Global, Multi-region, United States, ...)."""
    return [(geo, [r for r in REGIONS if r.geography == geo]) for geo in GEOGRAPHIES
            if any(r.geography == geo for r in REGIONS)]


def _geography(region: str) -> str | None:
    if region in _NEAR_GEOGRAPHY:
        return _NEAR_GEOGRAPHY[region]
    r = _REGION_BY_ID.get(region)
    return r.geography if r else None


# ---------------------------------------------------------------------------------------------
# Families and names

_TUNED = re.compile(r"[0-9]+")
_PUBLISHER_MODEL = re.compile(r"[a-z0-9][a-z0-9._-]*/[a-z0-9][a-z0-9._@-]*")
# Checked in order: embeddings before the gemini prefix (gemini-embedding-001 is not a chat model).
_FAMILY_PREFIXES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("gemini-embedding-", "text-embedding-", "text-multilingual-embedding-"), "embedding"),
    (("gemini-",), "gemini"),
    (("claude-",), "anthropic"),
    (("mistral-", "codestral-"), "mistral"),
    (("imagen-", "imagegeneration@"), "imagen"),
    (("veo-",), "veo"),
)
FAMILIES: tuple[str, ...] = ("gemini", "anthropic", "mistral", "openai_compat", "tuned", "embedding",
                             "imagen", "veo")


def family_of(target: str) -> str:
    """The wire family of a deployment's resolved target (never of its alias).

    Raises `ConfigError("target", ...)` for a target of no known shape.
    """
    if isinstance(target, str) and target:
        if _TUNED.fullmatch(target):
            return "tuned"
        if "/" in target:
            if _PUBLISHER_MODEL.fullmatch(target):
                return "openai_compat"
        else:
            for prefixes, family in _FAMILY_PREFIXES:
                if target.startswith(prefixes):
                    return family
    raise ConfigError(
        "target",
        f"{_shown(target)} is not a model this gateway can call: expected gemini-*, claude-*, mistral-*, "
        "codestral-*, a partner model like meta/llama-3.3-70b-instruct-maas, an embedding, imagen-* or "
        "veo-* model id, or the digits of a fine-tuned endpoint id.",
    )


_VERSION_AT = re.compile(r"@[A-Za-z0-9._-]+$")
_VERSION_NUM = re.compile(r"-[0-9]{3}$")


def base_model(target: str) -> str:
    """The catalog id of a target: version suffixes (`@20241022`, `-001`, `-002`) removed.

    A target that is itself a catalog id (`imagen-3.0-generate-002`, `imagegeneration@006`) or a known
    alternative id (`mistral-large-2411`) maps to its entry; anything else loses its suffixes.
    """
    return _base_model(target, DEFAULT_DATA)


def _base_model(target: str, data: CatalogData) -> str:
    if target in data.models:
        return target
    if target in data.alias_of:
        return data.alias_of[target]
    stripped = _VERSION_AT.sub("", target)
    if stripped in data.models or stripped in data.alias_of:
        return data.alias_of.get(stripped, stripped)
    unnumbered = _VERSION_NUM.sub("", stripped)
    return data.alias_of.get(unnumbered, unnumbered)


def display_name(model_id: str, target: str | None = None) -> str:
    """The readable name of a model id (a deployment alias, an allowed id, a custom model id).

    Where the catalog knows the model, its own name: of the resolved `target` first (what is called),
    else of the id ("claude-sonnet-4-5" -> "Claude Sonnet 4.5", alias "llama" with target
    "meta/llama-3.3-70b-instruct-maas" -> "Llama 3.3 70B"). Otherwise seed 003's rule: split on "-"
    (else "_"), capitalise each part: "gemini-pro" -> "Gemini Pro", "claude_3_opus" -> "Claude 3 Opus".
    """
    for candidate in (target, model_id):
        if candidate:
            entry = DEFAULT_DATA.models.get(_base_model(candidate, DEFAULT_DATA))
            if entry is not None:
                return entry.name
    return _seed_name(model_id)


def _seed_name(model_id: str) -> str:
    sep = "-" if "-" in model_id else "_"
    return " ".join(part[:1].upper() + part[1:] for part in model_id.split(sep) if part)


# ---------------------------------------------------------------------------------------------
# Availability


@dataclass(frozen=True)
class ModelAvailability:
    """One catalog entry as loaded from availability.json."""

    id: str
    name: str
    default_target: str
    served: tuple[str, ...]
    unconfirmed: frozenset[str]
    not_served: frozenset[str]
    elsewhere_unknown: bool
    notes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    ids: tuple[str, ...] = ()

    def status(self, region: str) -> bool | None:
        if region in self.served:
            return True
        if region in self.not_served:
            return False
        if region in self.unconfirmed or self.elsewhere_unknown:
            return None
        return False


@dataclass(frozen=True)
class CatalogData:
    models: Mapping[str, ModelAvailability]
    alias_of: Mapping[str, str]

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> CatalogData:
        models: dict[str, ModelAvailability] = {}
        alias_of: dict[str, str] = {}
        for raw in doc["models"]:
            entry = ModelAvailability(
                id=raw["id"],
                name=raw.get("name") or _seed_name(raw["id"]),
                default_target=raw.get("default_target") or raw["id"],
                served=tuple(raw.get("served", ())),
                unconfirmed=frozenset(raw.get("unconfirmed", ())),
                not_served=frozenset(raw.get("not_served", ())),
                elsewhere_unknown=raw.get("elsewhere", "not_served") == "unknown",
                notes={k: tuple(v) for k, v in raw.get("notes", {}).items()},
                ids=tuple(raw.get("ids", ())),
            )
            models[entry.id] = entry
            for other in entry.ids:
                alias_of[other] = entry.id
        return cls(models=models, alias_of=alias_of)


DEFAULT_DATA = CatalogData.from_document(_load_json("availability.json"))


class LearnedAvailability:
    """(model, region) pairs Vertex answered 404 for, remembered in this process for `ttl` seconds.

    A 404 can also mean "not enabled in this project", and Google adds regions over time, so the
    lesson expires instead of lasting for the life of the process. Thread-safe.
    """

    def __init__(self, ttl: float = 6 * 3600, clock: Any = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._until: dict[str, dict[str, float]] = {}  # model -> region -> expiry

    def add(self, model: str, region: str) -> None:
        with self._lock:
            self._until.setdefault(model, {})[region] = self._clock() + self._ttl

    def regions(self, model: str) -> frozenset[str]:
        """Regions a 404 ruled out for the model, lessons not yet expired."""
        with self._lock:
            by_region = self._until.get(model)
            if not by_region:
                return frozenset()
            now = self._clock()
            expired = [r for r, until in by_region.items() if until <= now]
            for r in expired:
                del by_region[r]
            return frozenset(by_region)

    def contains(self, model: str, region: str) -> bool:
        return region in self.regions(model)

    def clear(self) -> None:
        with self._lock:
            self._until.clear()


# Shared by every Catalog of the process unless one is given: gateway_admin builds a fresh Catalog
# (with the admins' overrides) per request, and what Vertex taught must survive that.
LEARNED = LearnedAvailability()


class Catalog:
    """Where each model is served, with admin corrections and lessons from Vertex's 404 answers.

    `overrides` maps (model, region) -> served; the model may be a full target or a catalog id. They
    win over the seed data and over what 404s taught, because an admin said so explicitly.
    """

    def __init__(self, overrides: Mapping[tuple[str, str], bool] | None = None, *,
                 data: CatalogData | None = None, learned: LearnedAvailability | None = None) -> None:
        self._data = data or DEFAULT_DATA
        self._learned = learned if learned is not None else LEARNED
        self._overrides: dict[tuple[str, str], bool] = {
            (self.base_model(m), r): bool(v) for (m, r), v in (overrides or {}).items()
        }

    def base_model(self, target: str) -> str:
        """`base_model` against this catalog's data."""
        return _base_model(target, self._data)

    def model(self, target: str) -> ModelAvailability | None:
        """The catalog entry of a target, or None when the catalog does not know it."""
        return self._data.models.get(self.base_model(target))

    def is_served(self, target: str, region: str) -> bool | None:
        """True/False when known (override, Vertex 404, seeds), None when the catalog cannot tell."""
        base = self.base_model(target)
        return self._status(base, region, self._learned.regions(base))

    def _status(self, base: str, region: str, learned: frozenset[str]) -> bool | None:
        override = self._overrides.get((base, region))
        if override is not None:
            return override
        if region in learned:
            return False
        entry = self._data.models.get(base)
        return entry.status(region) if entry else None

    def served_regions(self, target: str) -> tuple[str, ...] | None:
        """Regions known to serve the target, in preference order; None when the catalog has no data.

        "No data" covers both an unknown model and a known one for which no region is confirmed.
        """
        base = self.base_model(target)
        entry = self._data.models.get(base)
        regions = list(entry.served) if entry else []
        extra = sorted((r for (m, r), v in self._overrides.items() if m == base and v and r not in regions),
                       key=lambda r: _REGION_ORDER.get(r, len(_REGION_ORDER)))
        if not regions and not extra:
            return None
        learned = self._learned.regions(base)
        return tuple(r for r in regions + extra if self._status(base, r, learned))

    def failover_regions(self, target: str, region: str, *, mode: str = "any") -> list[str]:
        """Other regions that serve the target: `global` first where served there, then regions of
        the same geography as `region`, then the rest (each group in catalog preference order).
        `mode` ("any", "geography", "off": `KeyConfig.region_failover`) keeps only the regions it
        allows for data residency (see `routing.residency`)."""
        served = [r for r in (self.served_regions(target) or ()) if r != region]
        geo = _geography(region)
        first = [r for r in served if r == "global"]
        near = [r for r in served if r != "global" and geo is not None and _geography(r) == geo]
        rest = [r for r in served if r not in first and r not in near]
        return allowed_failover(region, first + near + rest, mode)

    def learn_not_served(self, target: str, region: str) -> None:
        """Remember that Vertex answered 404 for the target in the region (this process only)."""
        self._learned.add(self.base_model(target), region)

    def with_overrides(self, overrides: Mapping[tuple[str, str], bool]) -> Catalog:
        """A catalog with the same data and lessons, and these admin overrides."""
        return Catalog(overrides, data=self._data, learned=self._learned)

    def known_models(self) -> list[dict[str, Any]]:
        """Every catalog model for the deployment editor's suggestions, sorted by id.

        Each: id, display_name, family, default_target (the id to put in a deployment), regions
        (confirmed serving regions, possibly empty) and notes.
        """
        out = []
        for entry in sorted(self._data.models.values(), key=lambda e: e.id):
            out.append({
                "id": entry.id,
                "display_name": entry.name,
                "family": family_of(entry.default_target),
                "default_target": entry.default_target,
                "regions": list(self.served_regions(entry.id) or ()),
                "notes": {k: list(v) for k, v in entry.notes.items()},
            })
        return out


DEFAULT_CATALOG: Catalog = Catalog()
