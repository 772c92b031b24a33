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
        def stream_translator(self, *, model: str, include_usage: bool) -> StreamTranslator
        def build_count_tokens(self, request: dict, *, target: str) -> WireRequest

    class EmbeddingAdapter(Protocol):
        def build_embeddings(self, request: dict, *, target: str) -> WireRequest
        def parse_embeddings(self, body: dict, *, model: str) -> dict  # -> OpenAI list of embeddings

Responses API requests are converted to Chat Completions and back in routing/responses.py, so the
adapters only speak Chat Completions.
"""
