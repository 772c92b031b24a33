"""Anthropic model ids map to Vertex ids; a [1m] suffix is stripped and reported."""

from __future__ import annotations

import pytest

from routing.model_names import vertex_model_id


@pytest.mark.parametrize(("name", "expected"), [
    ("claude-sonnet-4-5-20250929", ("claude-sonnet-4-5@20250929", False)),
    ("claude-opus-4-1-20250805", ("claude-opus-4-1@20250805", False)),
    ("claude-3-5-haiku-20241022", ("claude-3-5-haiku@20241022", False)),
    ("claude-haiku-4-5-20251001", ("claude-haiku-4-5@20251001", False)),
    ("claude-3-5-sonnet-v2-20241022", ("claude-3-5-sonnet-v2@20241022", False)),
    ("claude-sonnet-4-5-20250929[1m]", ("claude-sonnet-4-5@20250929", True)),
    ("claude-sonnet-4-5[1m]", ("claude-sonnet-4-5", True)),
    ("claude-sonnet-4-5@20250929[1M]", ("claude-sonnet-4-5@20250929", True)),
    ("claude-sonnet-4-5", ("claude-sonnet-4-5", False)),
    ("claude-sonnet-4-5@20250929", ("claude-sonnet-4-5@20250929", False)),
    ("gemini-2.5-flash", ("gemini-2.5-flash", False)),
    ("sonnet", ("sonnet", False)),
])
def test_it_maps_anthropic_ids_to_vertex_ids(name, expected):
    assert tuple(vertex_model_id(name)) == expected
