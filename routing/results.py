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
    """An answer and how it was obtained. Secrets never appear in `wire_request`.

    `response` is OpenAI-shaped for the OpenAI calls, the Anthropic Message for `Router.messages`,
    `{"input_tokens": N}` for `messages_count_tokens`, the parsed JSON for `Router.vertex`.
    `usage` is OpenAI usage for the OpenAI calls and, for the native calls (messages, count tokens,
    vertex pass-through), the normalised `{"input_tokens", "output_tokens", "cache_read_tokens",
    "cache_write_tokens"}` (ints; input_tokens excludes cache reads and writes), or None.
    """

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
    # anthropic-beta values not forwarded to Vertex (routing.betas); native calls only.
    betas_dropped: list[str] = field(default_factory=list)
    # Vertex pass-through (Router.vertex): the body and status exactly as Vertex answered.
    raw_body: bytes | None = field(default=None)
    status: int | None = field(default=None)
