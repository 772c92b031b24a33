"""Model x region availability, model families and display names.

CONTRACT (to be implemented; other modules rely on these names):

- `REGIONS`: tuple of `Region(id, label, geography)` for every known Vertex region, plus
  `global`, `us`, `eu` (geography "Multi-region"/"Global").
- `is_known_region(region: str) -> bool`
- `region_groups() -> list[tuple[str, list[Region]]]`: regions grouped by geography, for pickers.
- `family_of(target: str) -> str`: one of "gemini", "anthropic", "mistral", "openai_compat",
  "tuned", "embedding", "imagen", "veo"; raises ConfigError("target", ...) when unknown.
- `base_model(target: str) -> str`: the catalog id of a target ("claude-3-5-haiku@20241022" ->
  "claude-3-5-haiku", "gemini-2.0-flash-001" -> "gemini-2.0-flash").
- `display_name(model_id: str) -> str`: seed 003 rule: split on "-" (else "_"), capitalise each part.
- `class Catalog`: `Catalog(overrides: Mapping[tuple[str, str], bool] = {})`, with
  `served_regions(target) -> tuple[str, ...] | None` (None: the catalog has no data for it),
  `is_served(target, region) -> bool | None`, `failover_regions(target, region) -> list[str]`
  (other regions that serve the target, "global" first where served there),
  `learn_not_served(target, region)` (from Vertex 404s, in process), `known_models() -> list[dict]`
  (id, display_name, family, regions) for suggestions.
- `DEFAULT_CATALOG`: a Catalog with no overrides, built from routing/data/*.json.
"""
