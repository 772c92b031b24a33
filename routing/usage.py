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
  `thoughtsTokenCount`),
- the native calls' usage (`usage_dict`: the Usage fields as a dict).

The native calls (Router.messages*, Router.vertex) report `usage_dict(...)`:
`{"input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"}` in this module's
convention (input includes cache reads and writes; cache fields 0 when the upstream reports none);
`UsageReader` collects it from Claude events, Gemini chunks or OpenAI-shaped answers as they pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Usage", "UsageReader", "usage_dict", "usage_from"]

Json = dict[str, Any]


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
    if "cache_read_tokens" in raw or "cache_write_tokens" in raw:  # the native calls' usage_dict()
        return Usage(input_tokens=_int(raw.get("input_tokens")), output_tokens=_int(raw.get("output_tokens")),
                     cache_read_tokens=_int(raw.get("cache_read_tokens")),
                     cache_write_tokens=_int(raw.get("cache_write_tokens")))
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


def usage_dict(raw: Any) -> Json | None:
    """The normalised usage dict of any known usage shape (None for nothing known)."""
    used = usage_from(raw)
    if used.input_tokens is None and used.output_tokens is None:
        return None
    return {"input_tokens": used.input_tokens, "output_tokens": used.output_tokens,
            "cache_read_tokens": used.cache_read_tokens or 0, "cache_write_tokens": used.cache_write_tokens or 0}


_GEMINI_COUNTS = ("promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "cachedContentTokenCount",
                  "totalTokenCount")


class UsageReader:
    """Collects usage from Claude Messages / stream events (message_start + cumulative
    message_delta), Gemini responses / stream chunks (usageMetadata) and OpenAI-shaped answers /
    chunks (Mistral and partner models on rawPredict), as they pass."""

    def __init__(self) -> None:
        self._claude: Json = {}
        self._other: Json | None = None
        self.seen = False

    def read(self, data: Mapping[str, Any]) -> bool:
        """Take what usage `data` carries; True when it carried some."""
        kind = data.get("type")
        raw: Any = None
        if kind == "message_start":
            raw = (data.get("message") or {}).get("usage")
        elif kind in ("message_delta", "message"):
            raw = data.get("usage")
        if isinstance(raw, Mapping):
            self._claude.update({k: v for k, v in raw.items() if v is not None})
            self.seen = True
            return True
        meta = data.get("usageMetadata")
        if isinstance(meta, Mapping) and any(k in meta for k in _GEMINI_COUNTS):
            self._other = dict(meta)
            self.seen = True
            return True
        usage = data.get("usage")
        if isinstance(usage, Mapping) and "prompt_tokens" in usage:
            self._other = dict(usage)
            self.seen = True
            return True
        return False

    def normalised(self) -> Json | None:
        if self._other is not None:
            return usage_dict(self._other)
        if not self._claude:
            return None
        # Anthropic's fields always, so usage_from reads them as Anthropic usage (input without cache).
        return usage_dict({"cache_read_input_tokens": 0, "cache_creation_input_tokens": 0, **self._claude})
