"""Wire families: one adapter per family, registered in one table.

`REGISTRY` maps a family name (as `routing.catalog.family_of` returns it) to its adapter instance;
`adapter_for(target)` picks the adapter from the resolved target, never from the alias.
Adding a family is a new module plus one line here.
"""

from __future__ import annotations

from routing.families.anthropic import AnthropicAdapter
from routing.families.base import (
    BaseAdapter,
    ChatAdapter,
    EmbeddingAdapter,
    FamilyAdapter,
    ImageAdapter,
    StreamTranslator,
    VideoAdapter,
    WireRequest,
)
from routing.families.embeddings import EmbeddingsAdapter
from routing.families.gemini import GeminiAdapter
from routing.families.imagen import ImagenAdapter
from routing.families.mistral import MistralAdapter
from routing.families.openai_compat import OpenAICompatAdapter
from routing.families.tuned import TunedAdapter
from routing.families.veo import VeoAdapter

REGISTRY: dict[str, FamilyAdapter] = {
    "gemini": GeminiAdapter(),
    "anthropic": AnthropicAdapter(),
    "tuned": TunedAdapter(),
    "mistral": MistralAdapter(),
    "openai_compat": OpenAICompatAdapter(),
    "embedding": EmbeddingsAdapter(),
    "imagen": ImagenAdapter(),
    "veo": VeoAdapter(),
}


def adapter_for(target: str) -> FamilyAdapter:
    """The adapter for a resolved deployment target (e.g. "claude-sonnet-4-5@20250929").

    Raises `routing.config.ConfigError("target", ...)` (from catalog.family_of) for an unknown
    target, and ConfigError too when no adapter is registered for its family.
    """
    from routing.catalog import family_of  # catalog loads its data lazily; keep import cheap
    from routing.config import ConfigError

    family = family_of(target)
    try:
        return REGISTRY[family]
    except KeyError:
        raise ConfigError("target", f"no wire adapter for the {family} family of {target!r}") from None


__all__ = [
    "REGISTRY",
    "BaseAdapter",
    "ChatAdapter",
    "EmbeddingAdapter",
    "FamilyAdapter",
    "ImageAdapter",
    "StreamTranslator",
    "VideoAdapter",
    "WireRequest",
    "adapter_for",
]
