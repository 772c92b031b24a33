"""Which `anthropic-beta` values Vertex accepts for Claude, per route, with admin corrections.

Vertex answers a Claude call that carries a beta it does not know with a 400 for the whole request
("Unexpected value(s) `x` for the `anthropic-beta` header"), and its count-tokens route refuses betas
the model routes accept. So the gateway forwards only the betas the table accepts for the route and
drops every other one (unknown values included), reporting what it dropped.

The data is `routing/data/anthropic_betas.json` (its "about" entry gives the sources). Routes:

- "messages": `publishers/anthropic/models/{m}:rawPredict` and `:streamRawPredict`;
- "count_tokens": `publishers/anthropic/models/count-tokens:rawPredict`.

    parse_betas("a, b,a")                 -> ["a", "b"]     (header value or list; order kept, no duplicates)
    filter_betas("messages", "a,b")       -> (kept, dropped) against DEFAULT_BETAS
    BetaTable(overrides)                  -> the default with admin overrides on top:
                                             {(beta, route): accepted} or [(beta, route, accepted)]
    table.with_overrides(overrides), table.accepts(route, beta), table.filter(route, value), table.known()

Bad override values raise `routing.config.ConfigError` naming the field ("beta" or "route").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routing.config_errors import ConfigError, _shown

ROUTES: tuple[str, ...] = ("messages", "count_tokens")
"""The Claude routes whose betas differ: messages (rawPredict/streamRawPredict) and count_tokens."""

# Vertex actions that take the "messages" betas.
ROUTE_OF_ACTION: Mapping[str, str] = {"rawPredict": "messages", "streamRawPredict": "messages",
                                      "count-tokens": "count_tokens", "count_tokens": "count_tokens"}
_BETA = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
_DATA = Path(__file__).resolve().parent / "data" / "anthropic_betas.json"

Overrides = Mapping[tuple[str, str], bool] | Iterable[tuple[str, str, bool]]


@dataclass(frozen=True)
class BetaInfo:
    """One known beta: which routes accept it by default, and why (sources)."""

    beta: str
    accepted: Mapping[str, bool]
    note: str = ""


def _load() -> dict[str, BetaInfo]:
    with _DATA.open(encoding="utf-8") as fh:
        doc = json.load(fh)
    out: dict[str, BetaInfo] = {}
    for raw in doc["betas"]:
        out[raw["beta"]] = BetaInfo(raw["beta"], {r: bool(raw.get(r, False)) for r in ROUTES}, raw.get("note", ""))
    return out


DEFAULT_DATA: Mapping[str, BetaInfo] = _load()


def validate_route(route: str) -> str:
    if route not in ROUTES:
        raise ConfigError("route", f"{_shown(route)} is not a Claude route; expected one of {', '.join(ROUTES)}")
    return route


def validate_beta(beta: str) -> str:
    if not isinstance(beta, str) or not _BETA.fullmatch(beta):
        raise ConfigError("beta", f"{_shown(beta)} is not an anthropic-beta value (lowercase letters, digits, "
                                  "'-', '_' and '.', at most 100 characters, e.g. context-1m-2025-08-07)")
    return beta


def parse_betas(value: str | Sequence[str] | None) -> list[str]:
    """The betas of an `anthropic-beta` header value (comma separated) or of a list of values (each
    may itself hold commas, as repeated headers do): stripped, empty ones skipped, first order kept,
    duplicates removed."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        for part in str(item).split(","):
            beta = part.strip()
            if beta and beta not in out:
                out.append(beta)
    return out


def _override_items(overrides: Overrides | None) -> list[tuple[str, str, bool]]:
    if not overrides:
        return []
    if isinstance(overrides, Mapping):
        return [(b, r, bool(v)) for (b, r), v in overrides.items()]
    return [(b, r, bool(v)) for b, r, v in overrides]


class BetaTable:
    """The default accepted-betas table with admin overrides on top (they win: an admin said so)."""

    def __init__(self, overrides: Overrides | None = None, *, data: Mapping[str, BetaInfo] | None = None) -> None:
        self._data = data if data is not None else DEFAULT_DATA
        self._overrides: dict[tuple[str, str], bool] = {}
        for beta, route, accepted in _override_items(overrides):
            self._overrides[(validate_beta(beta), validate_route(route))] = accepted

    def with_overrides(self, overrides: Overrides) -> BetaTable:
        """A table with the same data and these overrides (replacing this table's own)."""
        return BetaTable(overrides, data=self._data)

    def accepts(self, route: str, beta: str) -> bool:
        """True when the gateway forwards `beta` on `route` (an unknown beta is not forwarded)."""
        override = self._overrides.get((beta, route))
        if override is not None:
            return override
        info = self._data.get(beta)
        return bool(info and info.accepted.get(route))

    def filter(self, route: str, value: str | Sequence[str] | None) -> tuple[list[str], list[str]]:
        """(kept, dropped) of a header value or list for a route, each in the order given."""
        validate_route(route)
        kept: list[str] = []
        dropped: list[str] = []
        for beta in parse_betas(value):
            (kept if _BETA.fullmatch(beta) and self.accepts(route, beta) else dropped).append(beta)
        return kept, dropped

    def known(self) -> list[dict[str, Any]]:
        """Every beta the table or an override knows, sorted: {beta, routes: {route: accepted}, note,
        overridden: [routes an override decides]} (for an admin page)."""
        names = set(self._data) | {b for b, _ in self._overrides}
        out = []
        for name in sorted(names):
            info = self._data.get(name)
            out.append({"beta": name, "routes": {r: self.accepts(r, name) for r in ROUTES},
                        "note": info.note if info else "",
                        "overridden": [r for r in ROUTES if (name, r) in self._overrides]})
        return out


DEFAULT_BETAS = BetaTable()


def filter_betas(route: str, value: str | Sequence[str] | None, *, table: BetaTable | None = None
                 ) -> tuple[list[str], list[str]]:
    """(kept, dropped): the betas of `value` Vertex accepts on `route`, and the others."""
    return (table or DEFAULT_BETAS).filter(route, value)
