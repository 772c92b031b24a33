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

NATIVE CALLS (routing/native.py; Anthropic- and Vertex-dialect clients):

        Router(..., betas: BetaTable | None = None)      # routing.betas; admin overrides on top
        async def messages(self, body: dict, *, betas: str | list[str] | None = None,
                           key_id: str | None = None, anthropic_version: str | None = None) -> RouteResult
        async def messages_stream(self, body, *, betas=None, key_id=None, anthropic_version=None) -> RawRouteStream
        async def messages_count_tokens(self, body, *, betas=None, key_id=None, anthropic_version=None
                                        ) -> RouteResult
        async def vertex(self, model_alias: str, action: str, body: bytes, *, betas=None,
                         region_preference: str | None = None, key_id=None,
                         query: Mapping[str, str] | None = None, api_version: str = "v1",
                         anthropic_version: str | None = None) -> RouteResult | RawRouteStream
        # anthropic_version: the caller's `anthropic-version` header, forwarded to Claude targets
        def resolve_model(self, name: str) -> tuple[str, list[str]]   # (alias, betas to add)
        def alias_for_target(self, target: str) -> str | None

    RouteResult gains betas_dropped: list[str], raw_body: bytes | None, status: int | None; for these
    calls `usage` is {"input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"}.
    RawRouteStream yields bytes and has the RouteStream fields plus betas_dropped and status.

Errors raised are routing.errors.RoutingError subclasses; the last error carries the attempts as
`.attempts`. Cooldowns are per process, keyed (key_id, region, target).

Also: `image_edits(request, *, key_id=None)`; `Router(..., client=httpx.AsyncClient)` to use a
client of one's own (tests); `RetryPolicy` and the cooldown rules are in routing/retry.py; the
attempt loop is routing/attempts.py. A key whose URL fails validation or whose token cannot be
minted is recorded as an attempt (status None) and the next key carrying the alias is tried.
A non-empty allowedModels list restricts the deployments a key serves (as it restricts its model list).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import httpx

from routing.attempts import AttemptRunner, Call, Slot
from routing.auth import TOKEN_CACHE, TokenCache
from routing.betas import DEFAULT_BETAS, BetaTable
from routing.candidates import Candidate
from routing.catalog import DEFAULT_CATALOG, Catalog
from routing.config import ConfigError, KeyConfig
from routing.errors import ConfigurationError, InvalidRequestError, ModelNotFoundError
from routing.families import FamilyAdapter, WireRequest, adapter_for
from routing.model_names import CONTEXT_1M_BETA, vertex_model_id
from routing.native import NativeCalls
from routing.raw_stream import RawRouteStream
from routing.results import Attempt, RouteResult
from routing.retry import COOLDOWNS, Cooldowns, RetryPolicy
from routing.route_stream import RouteStream

Json = dict[str, Any]

__all__ = ["Attempt", "Candidate", "RetryPolicy", "RouteResult", "RouteStream", "Router"]


class Router:
    """Routes OpenAI-shaped requests to Vertex through the enabled keys.

    Cheap to build: candidates are compiled on first use and cached for the Router's lifetime, so
    keep one Router while the key configuration does not change. Cooldowns and tokens are shared by
    every Router of the process.
    """

    def __init__(self, keys: Sequence[KeyConfig], *, catalog: Catalog | None = None,
                 base_url: str | None = None, tokens: TokenCache | None = None,
                 policy: RetryPolicy | None = None, client: httpx.AsyncClient | None = None,
                 cooldowns: Cooldowns | None = None, betas: BetaTable | None = None) -> None:
        self.keys = tuple(k for k in keys if k.enabled)
        self.catalog = catalog or DEFAULT_CATALOG
        self.betas = betas or DEFAULT_BETAS
        self.base_url = base_url.rstrip("/") if base_url else None
        self.tokens = tokens or TOKEN_CACHE
        self.policy = policy or RetryPolicy()
        self._runner = AttemptRunner(catalog=self.catalog, base_url=self.base_url, tokens=self.tokens,
                                     policy=self.policy, client=client, cooldowns=cooldowns or COOLDOWNS)
        self._by_alias: dict[str, list[Candidate]] | None = None
        self._native = NativeCalls(self)
        self._by_target: dict[str, str] | None = None

    # -- candidates ------------------------------------------------------------------------------

    def models(self) -> list[str]:
        """Every alias an enabled key can serve, sorted."""
        return sorted(self._compiled())

    def candidates(self, model: str, *, key_id: str | None = None) -> list[Candidate]:
        """The candidates for an alias in weighted random order (heavier keys first more often)."""
        found = self._compiled().get(model)
        if not found:
            if key_id is not None and not any(k.key_id == key_id for k in self.keys):
                raise ModelNotFoundError(f"Key {key_id} does not exist or is disabled.")
            raise ModelNotFoundError(self._not_found(model))
        if key_id is not None:
            found = [c for c in found if c.key.key_id == key_id]
            if not found:
                raise ModelNotFoundError(f"Key {key_id} does not serve the model {model!r} (or is disabled).")
        if len(found) == 1:
            return list(found)
        # Efraimidis-Spirakis: a weighted random permutation in one sort.
        return sorted(found, key=lambda c: random.random() ** (1.0 / max(c.key.weight, 1e-3)), reverse=True)

    def alias_for_target(self, target: str) -> str | None:
        """The alias whose deployment target is `target` (a Vertex id like claude-sonnet-4-5@20250929),
        the alias equal to it first, else the first in sorted order; for an undated id
        (claude-sonnet-4-5) an alias whose target is a dated version of it (newest first). None
        when no enabled key deploys it."""
        compiled = self._compiled()
        if target in compiled:
            return target
        if self._by_target is None:
            by_target: dict[str, str] = {}
            for alias in sorted(compiled):
                for cand in compiled[alias]:
                    by_target.setdefault(cand.target, alias)
            undated: dict[str, str] = {}
            for dated in sorted(t for t in by_target if "@" in t):  # the newest version wins
                undated[dated.split("@", 1)[0]] = by_target[dated]
            self._by_target = {**undated, **by_target}
        return self._by_target.get(target)

    def resolve_model(self, name: str) -> tuple[str, list[str]]:
        """(alias, betas to add) for a model name an Anthropic- or Vertex-dialect client sent: a
        configured alias as is; else an Anthropic id (claude-sonnet-4-5-20250929, a `[1m]` suffix
        adds the context-1m beta) or a Vertex id resolved to the alias deploying it
        (routing.model_names, `alias_for_target`). A name nothing serves comes back unchanged, so
        `candidates()` answers with its usual ModelNotFoundError."""
        if name in self._compiled():
            return name, []
        vertex_id, one_m = vertex_model_id(name)
        extra = [CONTEXT_1M_BETA] if one_m else []
        return self.alias_for_target(vertex_id) or (vertex_id if one_m else name), extra

    def _not_found(self, model: str) -> str:
        listed_by = [k.name for k in self.keys if model in k.allowed_models]
        if listed_by:
            # An allowedModels entry that is neither a deployment alias nor a model id of a known
            # family: the model lists show it, but nothing can serve it.
            return (f"The model {model!r} is in allowedModels of key {', '.join(listed_by)}, but no deployment "
                    f"maps it to a target and no adapter or catalog model serves the id {model!r} itself. Add a "
                    f"deployment {model!r} -> a Vertex model id or endpoint id, or remove it from allowedModels.")
        return (f"No enabled key serves the model {model!r}. Add it as a deployment or an allowed model of a "
                "key.")

    def _compiled(self) -> dict[str, list[Candidate]]:
        if self._by_alias is None:
            self._by_alias = _compile(self.keys)
        return self._by_alias

    # -- calls -----------------------------------------------------------------------------------

    async def chat(self, request: Json, *, key_id: str | None = None) -> RouteResult:
        """One chat completion (OpenAI Chat Completions body in, `chat.completion` out)."""
        model = _model_of(request)
        request = {**request, "stream": False} if request.get("stream") else request
        return await self._call(model, key_id, "chat", _build_chat(request, model),
                                lambda a, body: a.parse_chat(body, model=model))

    async def chat_stream(self, request: Json, *, key_id: str | None = None,
                          transform: Any = None) -> RouteStream:
        """A streamed chat completion; returns once the first bytes arrived (retries happen before)."""
        model = _model_of(request)
        request = request if request.get("stream") else {**request, "stream": True}
        include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
        slots = self._slots(model, key_id, "chat")
        call = Call(model=model, capability="chat", build=_build_chat(request, model))
        return await self._runner.stream(
            call, slots, lambda a: a.stream_translator(model=model, include_usage=include_usage, request=request),
            transform)

    async def responses(self, request: Json, *, key_id: str | None = None) -> RouteResult:
        """The Responses API on the chat adapters (routing/responses.py converts both ways)."""
        from routing.responses import chat_to_response, responses_to_chat

        chat_request = responses_to_chat(request)
        result = await self.chat(chat_request, key_id=key_id)
        result.response = chat_to_response(result.response, request)
        return result

    async def responses_stream(self, request: Json, *, key_id: str | None = None) -> RouteStream:
        """The Responses API as a stream of Responses events."""
        from routing.responses import ResponsesStreamTranslator, responses_to_chat

        chat_request = {**responses_to_chat(request), "stream": True,
                        "stream_options": {"include_usage": True}}
        return await self.chat_stream(chat_request, key_id=key_id,
                                      transform=ResponsesStreamTranslator(request))

    async def embeddings(self, request: Json, *, key_id: str | None = None) -> RouteResult:
        """Embeddings (OpenAI body plus Vertex's task_type/title/autoTruncate) -> OpenAI list."""
        model = _model_of(request)
        return await self._call(model, key_id, "embeddings",
                                lambda a, c: a.build_embeddings(request, target=c.target),
                                lambda a, body: a.parse_embeddings(body, model=model, request=request))

    async def count_tokens(self, request: Json, *, key_id: str | None = None) -> RouteResult:
        """Input tokens of a chat request: `{"object": "response.input_tokens", "input_tokens": N}`."""
        model = _model_of(request)
        return await self._call(model, key_id, "count_tokens",
                                lambda a, c: a.build_count_tokens(request, target=c.target),
                                lambda a, body: a.parse_count_tokens(body, model=model))

    async def images(self, request: Json, *, key_id: str | None = None) -> RouteResult:
        """Image generation (Imagen, Gemini image models) -> `{created, data[b64_json]}`."""
        model = _model_of(request)
        return await self._call(model, key_id, "images",
                                lambda a, c: a.build_images(request, target=c.target),
                                lambda a, body: a.parse_images(body, model=model))

    async def image_edits(self, request: Json, *, key_id: str | None = None) -> RouteResult:
        """Image edits (a prompt and an input image) -> `{created, data[b64_json]}`."""
        model = _model_of(request)
        return await self._call(model, key_id, "image_edits",
                                lambda a, c: a.build_image_edit(request, target=c.target),
                                lambda a, body: a.parse_images(body, model=model))

    async def video_start(self, request: Json, *, key_id: str | None = None) -> RouteResult:
        """Start a Veo generation; the result names the operation to poll (and its key/region/target)."""
        model = _model_of(request)
        return await self._call(model, key_id, "video",
                                lambda a, c: a.build_video_start(request, target=c.target),
                                lambda a, body: a.parse_video_start(body, model=model))

    async def video_poll(self, *, key_id: str, region: str, target: str, operation: str) -> RouteResult:
        """Poll a Veo operation where it was started (same key, region and target; no failover)."""
        key = next((k for k in self.keys if k.key_id == key_id), None)
        if key is None:
            raise ModelNotFoundError(f"Key {key_id} does not exist or is disabled.")
        adapter = _adapter(target)
        if not adapter.supports("video"):
            raise InvalidRequestError(f"{target} does not generate videos.")
        cand = Candidate(key=key, alias=target, target=target, region=region, family=adapter.family,
                         adapter=adapter)
        call = Call(model=target, capability="video",
                    build=lambda a, c: a.build_video_poll(target=c.target, operation=operation))
        return await self._runner.run(call, [Slot(cand, region)],
                                      lambda a, body: a.parse_video_poll(body, model=target))

    # -- native calls (routing/native.py) ---------------------------------------------------------

    async def messages(self, body: Json, *, betas: str | Sequence[str] | None = None,
                       key_id: str | None = None, anthropic_version: str | None = None) -> RouteResult:
        """The Anthropic Messages API: `response` is the Message (as Vertex sent it for Claude),
        `usage` normalised, `betas_dropped` the anthropic-beta values not forwarded.
        `anthropic_version`: the caller's `anthropic-version` header, forwarded to Claude."""
        return cast(RouteResult, await self._native.messages(body, betas=betas, key_id=key_id, stream=False,
                                                             anthropic_version=anthropic_version))

    async def messages_stream(self, body: Json, *, betas: str | Sequence[str] | None = None,
                              key_id: str | None = None, anthropic_version: str | None = None) -> RawRouteStream:
        """A streamed Message: bytes, one Anthropic SSE event each (Claude: exactly as Vertex sent them)."""
        return cast(RawRouteStream, await self._native.messages(body, betas=betas, key_id=key_id, stream=True,
                                                                anthropic_version=anthropic_version))

    async def messages_count_tokens(self, body: Json, *, betas: str | Sequence[str] | None = None,
                                    key_id: str | None = None, anthropic_version: str | None = None) -> RouteResult:
        """Anthropic count_tokens: `response` is `{"input_tokens": N}`."""
        return await self._native.count_tokens(body, betas=betas, key_id=key_id, anthropic_version=anthropic_version)

    async def vertex(self, model_alias: str, action: str, body: bytes, *, betas: str | Sequence[str] | None = None,
                     region_preference: str | None = None, key_id: str | None = None,
                     query: Mapping[str, str] | None = None, api_version: str = "v1",
                     anthropic_version: str | None = None) -> RouteResult | RawRouteStream:
        """Vertex pass-through: the caller's bytes to `{model}:{action}` on the gateway's own key,
        project and region. `action`: rawPredict, streamRawPredict, count-tokens (Claude; model_alias
        is then the body's `model`), generateContent, streamGenerateContent, countTokens, predict.
        `query`: only `alt=sse` is forwarded; `api_version`: "v1" or "v1beta1", as the caller used. Streams are RawRouteStream (bytes as Vertex sent
        them); other answers a RouteResult with `raw_body` and `status`."""
        return await self._native.vertex(model_alias, action, body, betas=betas,
                                         region_preference=region_preference, key_id=key_id, query=query,
                                         api_version=api_version, anthropic_version=anthropic_version)

    # -- plumbing --------------------------------------------------------------------------------

    async def _call(self, model: str, key_id: str | None, capability: str,
                    build: Callable[[Any, Candidate], Any], parse: Callable[[Any, Json], Json]) -> RouteResult:
        slots = self._slots(model, key_id, capability)
        return await self._runner.run(Call(model=model, capability=capability, build=build), slots, parse)

    def _slots(self, model: str, key_id: str | None, capability: str) -> Any:
        candidates = self.candidates(model, key_id=key_id)
        first = candidates[0]
        if not first.adapter.supports(capability):
            raise InvalidRequestError(_unsupported(model, first.target, capability))
        return self._runner.plan(candidates)


def _compile(keys: Sequence[KeyConfig]) -> dict[str, list[Candidate]]:
    """alias -> candidates. A key carries an alias as a deployment (alias -> target, the deployment's
    region winning over the key's), or as an allowedModels entry that is itself a target. A non-empty
    allowedModels restricts the key to the aliases it lists (seed 003's rule for the model list)."""
    by_alias: dict[str, list[Candidate]] = {}
    for key in keys:
        allowed = set(key.allowed_models)
        for dep in key.deployments:
            if not dep.enabled or (allowed and dep.alias not in allowed):
                continue
            adapter = _adapter_or_none(dep.target)
            if adapter is not None:
                by_alias.setdefault(dep.alias, []).append(
                    Candidate(key, dep.alias, dep.target, dep.region or key.region, adapter.family, adapter))
        deployed = {d.alias for d in key.deployments}
        for alias in key.allowed_models:
            if alias in deployed:
                continue
            adapter = _adapter_or_none(alias)
            if adapter is not None:
                by_alias.setdefault(alias, []).append(
                    Candidate(key, alias, alias, key.region, adapter.family, adapter))
    return by_alias


def _adapter(target: str) -> FamilyAdapter:
    try:
        return adapter_for(target)
    except ConfigError as exc:
        raise ConfigurationError(f"{target!r} cannot be called: {exc.message}") from None


def _adapter_or_none(target: str) -> FamilyAdapter | None:
    try:
        return adapter_for(target)
    except ConfigError:
        return None  # an unknown target serves nothing; the config validator reports it


def _model_of(request: Json) -> str:
    if not isinstance(request, dict):
        raise InvalidRequestError("The request body must be a JSON object.", status=400)
    model = request.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequestError("model: required (the alias of a configured model).")
    return model


def _build_chat(request: Json, model: str) -> Callable[[FamilyAdapter, Candidate], WireRequest]:
    return lambda adapter, cand: adapter.build_chat(request, target=cand.target, model=model)


_CAPABILITY_TEXT = {"chat": "chat", "embeddings": "create embeddings", "count_tokens": "count tokens",
                    "images": "generate images", "image_edits": "edit images", "video": "generate videos"}


def _unsupported(model: str, target: str, capability: str) -> str:
    what = _CAPABILITY_TEXT.get(capability, capability)
    return f"{model} ({target}) cannot {what}; pick a model that does."

