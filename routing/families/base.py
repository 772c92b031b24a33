"""The protocol every wire family implements, and the shapes passed between router and adapters.

CONTRACT (the router depends on it; each family module implements it and registers itself in
routing/families/__init__.py's REGISTRY: family name -> adapter instance; never an elif chain):

    @dataclass
    class WireRequest:
        resource: str          # path after /v1/projects/{p}/locations/{r}/,
                               # e.g. "publishers/google/models/gemini-2.0-flash:generateContent"
        body: dict | None
        method: str = "POST"
        query: dict[str, str]  # e.g. {"alt": "sse"}
        stream: bool = False

    class StreamTranslator(Protocol):
        def feed(self, event: str | None, data: dict) -> list[dict]   # one parsed SSE event in,
                                                                      # OpenAI chunks out
        def finish(self) -> list[dict]                                 # final chunks (usage...)
        usage: dict | None                                             # OpenAI usage when known

    class ChatAdapter(Protocol):
        family: str
        def build_chat(self, request: dict, *, target: str, model: str) -> WireRequest
            # request: an OpenAI Chat Completions body (model = the alias the caller used)
        def parse_chat(self, body: dict, *, model: str) -> dict        # -> chat.completion
        def stream_translator(self, *, model: str, include_usage: bool, request: dict | None = None)
            -> StreamTranslator  # request: the caller's chat body (JSON mode, ...)
        def build_count_tokens(self, request: dict, *, target: str) -> WireRequest

    class EmbeddingAdapter(Protocol):
        def build_embeddings(self, request: dict, *, target: str) -> WireRequest
        def parse_embeddings(self, body: dict, *, model: str, request: dict | None = None) -> dict
            # -> OpenAI list of embeddings; request read for encoding_format

Responses API requests are converted to Chat Completions and back in routing/responses.py, so the
adapters only speak Chat Completions.

ADDITIONS (beyond the contract above; all optional for callers):

- `WireRequest.headers`: extra request headers a family needs (none today; the router adds auth).
- `ChatAdapter.parse_count_tokens(body, *, model) -> dict`: Vertex's count answer as
  `{"object": "response.input_tokens", "input_tokens": N, "model": model}`.
- `StreamTranslator.feed` ignores the OpenAI-style terminal `data: [DONE]` (pass the raw string or
  skip it); an upstream error event raises `routing.errors.StreamInterruptedError` (never retried).
  `finish()` must be called once after the last event; it returns the closing chunks (the finish
  chunk if the upstream never sent one, and the usage chunk when `include_usage`).
- `stream_translator(..., request=None)`: pass the caller's chat body when you have it (Claude needs
  it to stream only the JSON in JSON mode); `EmbeddingsAdapter.parse_embeddings(..., request=None)`
  reads `encoding_format` from it (float when absent).
- `ImageAdapter` (Imagen, Gemini image models): `build_images`, `build_image_edit`, `parse_images`.
- `VideoAdapter` (Veo): `build_video_start`, `parse_video_start`, `build_video_poll`,
  `parse_video_poll`.
- Bad input raises `routing.errors.InvalidRequestError` whose message starts with the parameter
  name and whose `.param` attribute names it (built by `routing.openai_types.invalid`).
- Chat request extensions every family reads: `thinking: {"type": "enabled", "budget_tokens": N}`
  and Gemini-style `thinking_budget` (one of them or `reasoning_effort`; low/medium/high = 1024/4096/
  16384, none/minimal = off; Claude refuses budgets below 1024); Gemini also reads `include_thoughts`
  and `safety_settings`; Claude reads `top_k`. Visible thinking comes back as `reasoning_content`.
- `supports(capability) -> bool` on every adapter: "chat", "count_tokens", "embeddings",
  "images", "image_edits", "video", so the router can answer 400 for e.g. embeddings on a chat model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from routing.errors import InvalidRequestError

Json = dict[str, Any]


@dataclass
class WireRequest:
    """One Vertex call, relative to `/v1/projects/{p}/locations/{r}/`.

    The router prefixes the location path and host, checks the URL, and attaches the token; the
    adapter only decides the resource, the JSON body and whether the answer is a stream.
    """

    resource: str
    body: Json | None
    method: str = "POST"
    query: dict[str, str] = field(default_factory=dict)
    stream: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    api_version: str = "v1"  # "v1beta1" only for the Vertex pass-through of v1beta1 callers


@runtime_checkable
class StreamTranslator(Protocol):
    """Turns one family's stream events into OpenAI chunks, event by event, as they arrive."""

    usage: Json | None

    def feed(self, event: str | None, data: Json | str) -> list[Json]:
        """One parsed SSE event (its `event:` name or None, and its JSON data) in, chunks out."""
        ...

    def finish(self) -> list[Json]:
        """Closing chunks after the last event (finish reason if still pending, usage chunk)."""
        ...


@runtime_checkable
class ChatAdapter(Protocol):
    """Chat Completions in, a Vertex call out; the Vertex answer in, a chat.completion out."""

    family: str

    def supports(self, capability: str) -> bool: ...

    def build_chat(self, request: Json, *, target: str, model: str) -> WireRequest:
        """`request` is an OpenAI Chat Completions body; `model` is the caller's alias."""
        ...

    def parse_chat(self, body: Json, *, model: str) -> Json:
        """A non-streaming Vertex answer -> an OpenAI `chat.completion` (model = the alias)."""
        ...

    def stream_translator(self, *, model: str, include_usage: bool,
                          request: Json | None = None) -> StreamTranslator: ...

    def build_count_tokens(self, request: Json, *, target: str) -> WireRequest: ...

    def parse_count_tokens(self, body: Json, *, model: str) -> Json: ...


@runtime_checkable
class EmbeddingAdapter(Protocol):
    """OpenAI embeddings request in, Vertex `:predict` out, and back."""

    family: str

    def supports(self, capability: str) -> bool: ...

    def build_embeddings(self, request: Json, *, target: str) -> WireRequest: ...

    def parse_embeddings(self, body: Json, *, model: str, request: Json | None = None) -> Json: ...


@runtime_checkable
class ImageAdapter(Protocol):
    """OpenAI images generation/edit request in, Vertex call out; answer -> `{created, data[b64_json]}`."""

    family: str

    def supports(self, capability: str) -> bool: ...

    def build_images(self, request: Json, *, target: str) -> WireRequest: ...

    def build_image_edit(self, request: Json, *, target: str) -> WireRequest: ...

    def parse_images(self, body: Json, *, model: str) -> Json: ...


@runtime_checkable
class VideoAdapter(Protocol):
    """Veo: start a long-running prediction, then poll it until the video is there."""

    family: str

    def supports(self, capability: str) -> bool: ...

    def build_video_start(self, request: Json, *, target: str) -> WireRequest: ...

    def parse_video_start(self, body: Json, *, model: str) -> Json: ...

    def build_video_poll(self, *, target: str, operation: str) -> WireRequest: ...

    def parse_video_poll(self, body: Json, *, model: str) -> Json: ...


@runtime_checkable
class FamilyAdapter(ChatAdapter, EmbeddingAdapter, ImageAdapter, VideoAdapter, Protocol):
    """What the registry holds for each family: every capability, `supports()` saying which work."""


class BaseAdapter:
    """Shared plumbing: the capability table, and an answer for every capability a family lacks.
    Subclasses list what they implement in `capabilities` and override those methods."""

    family: str = ""
    capabilities: frozenset[str] = frozenset()

    def supports(self, capability: str) -> bool:
        return capability in self.capabilities

    def _unsupported(self, capability: str) -> InvalidRequestError:
        return InvalidRequestError(f"The {self.family} family cannot serve {capability} requests.")

    def build_chat(self, request: Json, *, target: str, model: str) -> WireRequest:
        raise self._unsupported("chat")

    def parse_chat(self, body: Json, *, model: str) -> Json:
        raise self._unsupported("chat")

    def stream_translator(self, *, model: str, include_usage: bool,
                          request: Json | None = None) -> StreamTranslator:
        raise self._unsupported("chat")

    def build_count_tokens(self, request: Json, *, target: str) -> WireRequest:
        raise self._unsupported("count_tokens")

    def parse_count_tokens(self, body: Json, *, model: str) -> Json:
        raise self._unsupported("count_tokens")

    def build_embeddings(self, request: Json, *, target: str) -> WireRequest:
        raise self._unsupported("embeddings")

    def parse_embeddings(self, body: Json, *, model: str, request: Json | None = None) -> Json:
        raise self._unsupported("embeddings")

    def build_images(self, request: Json, *, target: str) -> WireRequest:
        raise self._unsupported("images")

    def build_image_edit(self, request: Json, *, target: str) -> WireRequest:
        raise self._unsupported("image_edits")

    def parse_images(self, body: Json, *, model: str) -> Json:
        raise self._unsupported("images")

    def build_video_start(self, request: Json, *, target: str) -> WireRequest:
        raise self._unsupported("video")

    def parse_video_start(self, body: Json, *, model: str) -> Json:
        raise self._unsupported("video")

    def build_video_poll(self, *, target: str, operation: str) -> WireRequest:
        raise self._unsupported("video")

    def parse_video_poll(self, body: Json, *, model: str) -> Json:
        raise self._unsupported("video")
