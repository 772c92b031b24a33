"""How deep a JSON request body may nest, for the config API and /v1 alike.

No real body comes near it (a key config is 3 levels, a chat call with tool schemas a dozen or so);
refusing deeper input early keeps recursive code (DRF, jsonschema-rs, our own walkers) from hitting
Python's or Rust's recursion limits, which would otherwise turn bad input into a 500.
"""

from __future__ import annotations

from typing import Any

MAX_JSON_DEPTH = 64
DEPTH_MESSAGE = f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep."


def exceeds_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when objects/arrays nest deeper than `limit` (the top-level object is level 1).

    Iterative, so any depth is measured without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
