"""Choose key, region and target; call; retry, fail over, cool down.

CONTRACT (used by gateway_admin: playground, /v1 API, listing health):

    @dataclass
    class Attempt:
        key_id: str; key_name: str; region: str; host: str; target: str
        status: int | None          # HTTP status, None for a transport error
        error: str | None           # user-facing message when it failed
        latency_ms: float
        failover: bool              # this attempt moved to another region/key than the previous one

    @dataclass
    class RouteResult:
        response: dict              # OpenAI-shaped answer (chat.completion, response, list of embeddings...)
        attempts: list[Attempt]
        key_id: str; key_name: str; region: str; host: str; target: str; family: str
        latency_ms: float
        usage: dict | None          # OpenAI usage
        wire_request: dict          # {"method","url","headers" (Authorization redacted),"body"}
        wire_response: dict | None  # {"status","body"} as Vertex sent it

    class RouteStream:               # async iterator of OpenAI chunks (or Responses events)
        attempts, key_id, key_name, region, host, target, family, wire_request
        ttft_ms: float | None        # set at the first chunk
        usage: dict | None           # set at the end
        async def aclose()

    class Router:
        def __init__(self, keys: Sequence[KeyConfig], *, catalog: Catalog | None = None,
                     base_url: str | None = None, tokens: TokenCache | None = None,
                     policy: RetryPolicy | None = None)
        def models(self) -> list[str]                     # every alias servable by an enabled key
        def candidates(self, model: str, *, key_id: str | None = None) -> list[Candidate]
        async def chat(self, request: dict, *, key_id: str | None = None) -> RouteResult
        async def chat_stream(self, request: dict, *, key_id: str | None = None) -> RouteStream
        async def responses(self, request: dict, *, key_id=None) -> RouteResult
        async def responses_stream(self, request: dict, *, key_id=None) -> RouteStream
        async def embeddings(self, request: dict, *, key_id=None) -> RouteResult
        async def count_tokens(self, request: dict, *, key_id=None) -> RouteResult
        async def images(self, request: dict, *, key_id=None) -> RouteResult
        async def video_start(self, request: dict, *, key_id=None) -> RouteResult
        async def video_poll(self, *, key_id: str, region: str, target: str, operation: str) -> RouteResult

Errors raised are routing.errors.RoutingError subclasses; the last error carries the attempts as
`.attempts`. Cooldowns are per process, keyed (key_id, region, target).
"""
