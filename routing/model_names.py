"""Anthropic's own model ids -> Vertex model ids.

Anthropic-dialect clients (the anthropic SDK, Claude Code in Anthropic mode) name Claude models the
Anthropic API way: `claude-sonnet-4-5-20250929`, possibly with Claude Code's `[1m]` suffix for the
1M-token context window. Vertex names the same model `claude-sonnet-4-5@20250929`.

    vertex_model_id("claude-sonnet-4-5-20250929")      -> VertexModelId("claude-sonnet-4-5@20250929", False)
    vertex_model_id("claude-sonnet-4-5-20250929[1m]")  -> VertexModelId("claude-sonnet-4-5@20250929", True)
    vertex_model_id("claude-sonnet-4-5")               -> VertexModelId("claude-sonnet-4-5", False)  (undated: left alone)

`context_1m` tells the caller to add the `context-1m-2025-08-07` beta (CONTEXT_1M_BETA). Anything that
is not a dated Claude id (a Vertex id with `@`, a Gemini id, a gateway alias) comes back unchanged.
"""

from __future__ import annotations

import re
from typing import NamedTuple

CONTEXT_1M_BETA = "context-1m-2025-08-07"
_ONE_M = re.compile(r"\[1m\]$", re.IGNORECASE)
_DATED_CLAUDE = re.compile(r"(claude-[a-z0-9.-]+?)-(20[0-9]{6})")


class VertexModelId(NamedTuple):
    model: str
    context_1m: bool


def vertex_model_id(name: str) -> VertexModelId:
    """The Vertex id for an Anthropic model id, and whether a `[1m]` suffix was stripped."""
    one_m = bool(_ONE_M.search(name))
    if one_m:
        name = _ONE_M.sub("", name)
    match = _DATED_CLAUDE.fullmatch(name)
    if match:
        name = f"{match.group(1)}@{match.group(2)}"
    return VertexModelId(name, one_m)
