"""What a call used, in one shape whatever the family or the dialect it was reported in.

`Usage.input_tokens` counts every input token, cache reads and writes included (as OpenAI's
`prompt_tokens` and Gemini's `promptTokenCount` do); `cache_read_tokens` and `cache_write_tokens`
say how many of them were read from or written to a prompt cache, so a price table can bill each
part at its own rate. `usage_from` reads any of the shapes routing produces or relays:

- OpenAI chat usage (`prompt_tokens`, `completion_tokens`, `prompt_tokens_details`),
- Responses usage (`input_tokens`, `output_tokens`, `input_tokens_details`),
- Anthropic usage (`input_tokens` without the cached ones, `cache_read_input_tokens`,
  `cache_creation_input_tokens`),
- Gemini `usageMetadata` (`promptTokenCount`, `candidatesTokenCount`, `cachedContentTokenCount`,
  `thoughtsTokenCount`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Usage", "usage_from"]


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens (and media units) one call used; None means the upstream did not say."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    images: int | None = None
    video_seconds: float | None = None

    @property
    def total_tokens(self) -> int:
        return (self.input_tokens or 0) + (self.output_tokens or 0)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def usage_from(raw: Any) -> Usage:
    """The Usage a usage object of any known shape reports (an empty Usage for anything else)."""
    if isinstance(raw, Usage):
        return raw
    if not isinstance(raw, Mapping):
        return Usage()
    if "promptTokenCount" in raw or "candidatesTokenCount" in raw:  # Gemini usageMetadata
        output = _int(raw.get("candidatesTokenCount"))
        thoughts = _int(raw.get("thoughtsTokenCount"))
        if thoughts:
            output = (output or 0) + thoughts
        return Usage(input_tokens=_int(raw.get("promptTokenCount")), output_tokens=output,
                     cache_read_tokens=_int(raw.get("cachedContentTokenCount")))
    if "prompt_tokens" in raw or "completion_tokens" in raw:  # OpenAI chat
        details = raw.get("prompt_tokens_details") or {}
        return Usage(input_tokens=_int(raw.get("prompt_tokens")), output_tokens=_int(raw.get("completion_tokens")),
                     cache_read_tokens=_int(details.get("cached_tokens")),
                     cache_write_tokens=_int(details.get("cache_write_tokens")))
    if "cache_read_input_tokens" in raw or "cache_creation_input_tokens" in raw:  # Anthropic
        read = _int(raw.get("cache_read_input_tokens"))
        write = _int(raw.get("cache_creation_input_tokens"))
        uncached = _int(raw.get("input_tokens"))
        total = None if uncached is None and read is None and write is None else (
            (uncached or 0) + (read or 0) + (write or 0))
        return Usage(input_tokens=total, output_tokens=_int(raw.get("output_tokens")),
                     cache_read_tokens=read, cache_write_tokens=write)
    details = raw.get("input_tokens_details") or {}  # Responses, or Anthropic without cache fields
    return Usage(input_tokens=_int(raw.get("input_tokens")), output_tokens=_int(raw.get("output_tokens")),
                 cache_read_tokens=_int(details.get("cached_tokens")) if isinstance(details, Mapping) else None,
                 cache_write_tokens=_int(details.get("cache_write_tokens")) if isinstance(details, Mapping)
                 else None)
