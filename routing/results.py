"""What a routed call returns: the answer and every attempt made on the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]


@dataclass
class Attempt:
    """One HTTP call to Vertex (or its failure to happen), as the playground shows the path taken."""

    key_id: str
    key_name: str
    region: str
    host: str
    target: str
    status: int | None  # HTTP status, None for a transport error
    error: str | None  # user-facing message when it failed
    latency_ms: float
    failover: bool  # this attempt moved to another region/key than the previous one

    def as_dict(self) -> Json:
        return dict(self.__dict__)


@dataclass
class RouteResult:
    """An OpenAI-shaped answer and how it was obtained. Secrets never appear in `wire_request`."""

    response: Json
    attempts: list[Attempt]
    key_id: str
    key_name: str
    region: str
    host: str
    target: str
    family: str
    latency_ms: float
    usage: Json | None
    wire_request: Json
    wire_response: Json | None = field(default=None)
