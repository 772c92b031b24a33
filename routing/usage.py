"""Normalised token usage for the native calls, read from Claude, Gemini or OpenAI-shaped usage.

Shape (every value an int): `{"input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"}`.
`input_tokens` excludes tokens read from or written to a prompt cache (Anthropic's convention: the
whole prompt is input + cache_read + cache_write); `output_tokens` includes Gemini's thinking tokens.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]
_GEMINI_COUNTS = ("promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "cachedContentTokenCount",
                  "totalTokenCount")


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def normalised(*, input_tokens: int, output_tokens: int, cache_read_tokens: int = 0,
               cache_write_tokens: int = 0) -> Json:
    return {"input_tokens": input_tokens, "output_tokens": output_tokens,
            "cache_read_tokens": cache_read_tokens, "cache_write_tokens": cache_write_tokens}


def from_claude(raw: Json) -> Json:
    """Anthropic usage (a Message's, or message_start + message_delta merged)."""
    return normalised(input_tokens=_int(raw.get("input_tokens")), output_tokens=_int(raw.get("output_tokens")),
                      cache_read_tokens=_int(raw.get("cache_read_input_tokens")),
                      cache_write_tokens=_int(raw.get("cache_creation_input_tokens")))


def from_gemini(meta: Json) -> Json:
    """Gemini usageMetadata."""
    cached = _int(meta.get("cachedContentTokenCount"))
    return normalised(input_tokens=max(_int(meta.get("promptTokenCount")) - cached, 0),
                      output_tokens=_int(meta.get("candidatesTokenCount")) + _int(meta.get("thoughtsTokenCount")),
                      cache_read_tokens=cached)


def from_openai(usage: Json | None) -> Json | None:
    """OpenAI usage as the chat adapters produce it (prompt_tokens include cached tokens)."""
    if not usage:
        return None
    details = usage.get("prompt_tokens_details") or {}
    cached, written = _int(details.get("cached_tokens")), _int(details.get("cache_write_tokens"))
    return normalised(input_tokens=max(_int(usage.get("prompt_tokens")) - cached - written, 0),
                      output_tokens=_int(usage.get("completion_tokens")), cache_read_tokens=cached,
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
