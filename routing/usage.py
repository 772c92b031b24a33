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
- the native calls' normalised dict (`normalised()` below: `input_tokens` without the cached ones,
  `cache_read_tokens`, `cache_write_tokens`), which `from_claude`, `from_gemini`, `from_openai` and
  `UsageReader` produce for Router.messages* and Router.vertex.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Usage", "UsageReader", "from_claude", "from_gemini", "from_openai", "normalised", "usage_from"]


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
    if "cache_read_tokens" in raw or "cache_write_tokens" in raw:  # normalised (native calls)
        read, write = _int(raw.get("cache_read_tokens")), _int(raw.get("cache_write_tokens"))
        uncached = _int(raw.get("input_tokens"))
        return Usage(input_tokens=None if uncached is None else uncached + (read or 0) + (write or 0),
                     output_tokens=_int(raw.get("output_tokens")), cache_read_tokens=read, cache_write_tokens=write)
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


# -- the native calls' normalised usage ------------------------------------------------------------

Json = dict[str, Any]
_GEMINI_COUNTS = ("promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "cachedContentTokenCount",
                  "totalTokenCount")


def _count(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def normalised(*, input_tokens: int, output_tokens: int, cache_read_tokens: int = 0,
               cache_write_tokens: int = 0) -> Json:
    return {"input_tokens": input_tokens, "output_tokens": output_tokens,
            "cache_read_tokens": cache_read_tokens, "cache_write_tokens": cache_write_tokens}


def from_claude(raw: Json) -> Json:
    """Anthropic usage (a Message's, or message_start + message_delta merged)."""
    return normalised(input_tokens=_count(raw.get("input_tokens")), output_tokens=_count(raw.get("output_tokens")),
                      cache_read_tokens=_count(raw.get("cache_read_input_tokens")),
                      cache_write_tokens=_count(raw.get("cache_creation_input_tokens")))


def from_gemini(meta: Json) -> Json:
    """Gemini usageMetadata."""
    cached = _count(meta.get("cachedContentTokenCount"))
    return normalised(input_tokens=max(_count(meta.get("promptTokenCount")) - cached, 0),
                      output_tokens=_count(meta.get("candidatesTokenCount")) + _count(meta.get("thoughtsTokenCount")),
                      cache_read_tokens=cached)


def from_openai(usage: Json | None) -> Json | None:
    """OpenAI usage as the chat adapters produce it (prompt_tokens include cached tokens)."""
    if not usage:
        return None
    details = usage.get("prompt_tokens_details") or {}
    cached, written = _count(details.get("cached_tokens")), _count(details.get("cache_write_tokens"))
    return normalised(input_tokens=max(_count(usage.get("prompt_tokens")) - cached - written, 0),
                      output_tokens=_count(usage.get("completion_tokens")), cache_read_tokens=cached,
                      cache_write_tokens=written)


class UsageReader:
    """Collects usage from Claude Messages / stream events, Gemini responses / stream chunks and
    OpenAI-shaped answers / chunks (Mistral and partner models on rawPredict)."""

    def __init__(self) -> None:
        self._claude: Json = {}
        self._gemini: Json | None = None
        self._openai: Json | None = None
        self.seen = False

    def read(self, data: Json) -> bool:
        """Take what usage `data` carries; True when it carried some."""
        kind = data.get("type")
        raw: Any = None
        if kind == "message_start":
            raw = (data.get("message") or {}).get("usage")
        elif kind in ("message_delta", "message"):
            raw = data.get("usage")
        if isinstance(raw, dict):
            self._claude.update({k: v for k, v in raw.items() if v is not None})
            self.seen = True
            return True
        meta = data.get("usageMetadata")
        if isinstance(meta, dict) and any(k in meta for k in _GEMINI_COUNTS):
            self._gemini = meta
            self.seen = True
            return True
        usage = data.get("usage")
        if isinstance(usage, dict) and "prompt_tokens" in usage:  # Mistral / partner chat (OpenAI shape)
            self._openai = usage
            self.seen = True
            return True
        return False

    def normalised(self) -> Json | None:
        if self._gemini is not None:
            return from_gemini(self._gemini)
        if self._openai is not None:
            return from_openai(self._openai)
        return from_claude(self._claude) if self._claude else None
