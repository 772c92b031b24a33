"""Candidate: one way to serve an alias (a key, the resolved target, the region to call)."""

from __future__ import annotations

from dataclasses import dataclass

from routing.config import KeyConfig
from routing.families import FamilyAdapter

__all__ = ["Candidate"]


@dataclass(frozen=True)
class Candidate:
    """One way to serve an alias: a key, the resolved target and the region to call."""

    key: KeyConfig
    alias: str
    target: str
    region: str
    family: str
    adapter: FamilyAdapter

    @property
    def key_id(self) -> str:
        return self.key.key_id
