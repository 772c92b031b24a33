"""Vertex List Models client and the seed 003 merge.

CONTRACT:
- `async def alist_custom_models(key: KeyConfig, *, client: VertexClient) -> list[dict]`: every page
  of GET .../models?pageSize=100&pageToken=..., raising a routing error if any page fails.
- `def merge_models(custom: Sequence[dict], deployments: Mapping[str, str],
  allowed_models: Sequence[str]) -> list[ModelEntry]` (pure; seed 003 rules).
- `ModelEntry` dataclass: id, display_name, source ("custom"|"deployment"|"allowed"), target,
  endpoint_id, description, created; `.as_dict()`.
"""
