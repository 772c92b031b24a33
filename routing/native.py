"""The native calls behind Router.messages*, Router.messages_count_tokens and Router.vertex.

Same candidates, retries, failover (429/5xx before the first byte), cooldowns and attempt records as
the OpenAI calls (routing.attempts), but the caller's body is passed through:

- Claude targets get the Anthropic Messages body as sent, `model` removed and
  `anthropic_version: "vertex-2023-10-16"` set (everything else untouched: system, tools,
  tool_choice, thinking, cache_control on any block, metadata, context_management, output_config,
  images, documents); the `anthropic-beta` values go through routing.betas and the kept ones are sent
  as the `anthropic-beta` header, the caller's `anthropic-version` header (if given) as is; the answer (or each stream event) comes back as Vertex sent it.
- Other chat families (Gemini...) go through routing.messages (Anthropic <-> Chat Completions) and
  their own adapter; betas are not forwarded there (every one is reported as dropped).
- Count tokens (Claude): `count-tokens:rawPredict` with `model` = the target, `anthropic_version`,
  and the prompt fields only (messages, system, tools, tool_choice, thinking); count-tokens betas.
- The Vertex pass-through forwards the caller's bytes verbatim to the path the gateway builds from
  its own key, project and region. Exceptions: count-tokens gets `model` set to the target (the
  caller's id may be an alias). AnthropicVertex's own dated `anthropic_version` is left as sent
  (Vertex accepts the SDK's value when the SDK calls it directly; rewriting it would re-encode the
  body). `region_preference` (the location in the caller's URL) is tried first when the key's
  `region_failover` allows leaving the key's region for it and the catalog does not say the model is
  not served there; otherwise the key's region is used, as for every other call. The API version
  the caller used (v1 or v1beta1: google-genai's default) is kept, since some fields exist only in
  v1beta1.

A candidate whose region the catalog says does not serve the target (a `global` key asked for
Claude Opus 4.1, which seed 004 says needs a regional endpoint) starts at the first region that
does and that the key's `region_failover` allows, instead of spending a call on a 404.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol, cast

import orjson

from routing.attempts import AttemptRunner, Call, Slot, wire_request
from routing.betas import BetaTable, parse_betas
from routing.candidates import Candidate
from routing.catalog import Catalog, is_known_region
from routing.endpoints import API_VERSIONS
from routing.errors import InvalidRequestError, UpstreamServerError
from routing.families.anthropic import ANTHROPIC_VERSION, COUNT_TOKENS_RESOURCE
from routing.families.base import WireRequest
from routing.messages import TranslatingRelay, chat_to_message, messages_to_chat
from routing.raw_stream import RawRelay, RawRouteStream
from routing.residency import allowed_failover
from routing.results import RouteResult
from routing.retry import RetryPolicy
from routing.route_stream import StreamRoute
from routing.usage import UsageReader, usage_dict


class RouterState(Protocol):
    """What the native calls use of their Router (typed here, so native never imports router)."""

    policy: RetryPolicy
    catalog: Catalog
    betas: BetaTable
    _runner: AttemptRunner

    def resolve_model(self, name: str) -> tuple[str, list[str]]: ...

    def candidates(self, model: str, *, key_id: str | None = None) -> list[Candidate]: ...


Json = dict[str, Any]
_API_DATE = re.compile(r"20[0-9]{2}-[0-9]{2}-[0-9]{2}")
COUNT_FIELDS = ("messages", "system", "tools", "tool_choice", "thinking")
STREAM_ACTIONS = frozenset({"streamRawPredict", "streamGenerateContent"})
# Vertex actions the pass-through forwards, per family of the resolved target.
VERTEX_ACTIONS: Mapping[str, frozenset[str]] = {
    "anthropic": frozenset({"rawPredict", "streamRawPredict", "count-tokens"}),
    "gemini": frozenset({"generateContent", "streamGenerateContent", "countTokens"}),
    "tuned": frozenset({"generateContent", "streamGenerateContent", "countTokens", "predict"}),
    "mistral": frozenset({"rawPredict", "streamRawPredict"}),
    "embedding": frozenset({"predict"}),
    "imagen": frozenset({"predict"}),
}
_PUBLISHER = {"anthropic": "anthropic", "gemini": "google", "embedding": "google", "imagen": "google",
              "mistral": "mistralai"}


def _body_model(body: Any) -> str:
    if not isinstance(body, dict):
        raise InvalidRequestError("The request body must be a JSON object.", status=400)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequestError("model: required (the model to call).")
    return model


def _translatable(candidates: list[Candidate], body: Json, alias: str, capability: str
                  ) -> tuple[list[Candidate], Json | None]:
    """(candidates to try, the chat translation of `body` or None when only Claude is tried).

    Claude candidates take the body as it is; the others need the translation and the capability.
    When some candidates are Claude and the body cannot be translated (a server tool...), only the
    Claude ones are tried, so the answer never depends on which key the weighted order put first.
    """
    others = [c for c in candidates if c.family != "anthropic"]
    if not others:
        return candidates, None
    claude = [c for c in candidates if c.family == "anthropic"]
    able = [c for c in others if c.adapter.supports(capability)]
    try:
        chat: Json | None = {**messages_to_chat(body), "model": alias}
    except InvalidRequestError:
        if claude:
            return claude, None
        raise
    if not able and not claude:
        what = "answer the Messages API" if capability == "chat" else "count tokens"
        raise InvalidRequestError(f"{alias} ({others[0].target}) cannot {what}; pick a chat model.")
    keep = set(map(id, claude + able))
    return [c for c in candidates if id(c) in keep], chat


def _claude_headers(kept: list[str], anthropic_version: str | None) -> dict[str, str]:
    """The headers a Claude call carries besides auth: the kept betas, and the caller's
    `anthropic-version` header (Claude Code sends 2023-06-01; gateways must forward it)."""
    headers = {"anthropic-beta": ",".join(kept)} if kept else {}
    if anthropic_version is not None:
        if not isinstance(anthropic_version, str) or not _API_DATE.fullmatch(anthropic_version):
            raise InvalidRequestError("anthropic-version: must be a dated API version like 2023-06-01.")
        headers["anthropic-version"] = anthropic_version
    return headers


def _loads(ex: Any, slot: Slot) -> Any:
    try:
        return orjson.loads(ex.body or b"")
    except orjson.JSONDecodeError:
        raise UpstreamServerError(f"Vertex answered {slot.cand.target} in {slot.region} with a body that is not "
                                  "valid JSON.", upstream_status=ex.status) from None


def _result(slot: Slot, wire: WireRequest, url: str, host: str, ex: Any, attempts: list[Any], started: float, *,
            response: Json, usage: Json | None, dropped: list[str], body: Any) -> RouteResult:
    cand = slot.cand
    return RouteResult(
        response=response, attempts=attempts, key_id=cand.key.key_id, key_name=cand.key.name, region=slot.region,
        host=host, target=cand.target, family=cand.family, latency_ms=(time.perf_counter() - started) * 1000,
        usage=usage, wire_request=wire_request(wire, url), wire_response={"status": ex.status, "body": body},
        betas_dropped=list(dropped), raw_body=ex.body, status=ex.status)


def _route(slot: Slot, wire: WireRequest, url: str, host: str, attempts: list[Any], model: str,
           dropped: list[str]) -> StreamRoute:
    cand = slot.cand
    return StreamRoute(attempts=attempts, key_id=cand.key.key_id, key_name=cand.key.name, region=slot.region,
                       host=host, target=cand.target, family=cand.family, model=model,
                       wire_request=wire_request(wire, url), betas_dropped=list(dropped))


class NativeCalls:
    """The native calls of one Router (it owns candidates, catalog, betas and the attempt runner)."""

    def __init__(self, router: RouterState) -> None:
        self.router = router

    # -- planning --------------------------------------------------------------------------------

    def _start_region(self, cand: Candidate, preference: str | None) -> Candidate:
        router = self.router
        if cand.family == "tuned" or not router.policy.region_failover:
            return cand
        mode = cand.key.region_failover
        catalog = router.catalog
        if (preference and preference != cand.region and is_known_region(preference)
                and allowed_failover(cand.region, [preference], mode)
                and catalog.is_served(cand.target, preference) is not False):
            return dataclasses.replace(cand, region=preference)
        if catalog.is_served(cand.target, cand.region) is False:
            served = catalog.failover_regions(cand.target, cand.region, mode=mode)
            if served:
                return dataclasses.replace(cand, region=served[0])
        return cand

    def _slots(self, candidates: Sequence[Candidate], preference: str | None = None) -> Iterator[Slot]:
        return self.router._runner.plan([self._start_region(c, preference) for c in candidates])

    def _betas(self, route: str, betas: str | Sequence[str] | None, extra: list[str]) -> tuple[list[str], list[str],
                                                                                               list[str]]:
        requested = parse_betas([*parse_betas(betas), *extra])
        kept, dropped = self.router.betas.filter(route, requested)
        return requested, kept, dropped

    # -- /v1/messages ------------------------------------------------------------------------------

    async def messages(self, body: Json, *, betas: str | Sequence[str] | None, key_id: str | None,
                       stream: bool, anthropic_version: str | None = None) -> Any:
        router = self.router
        model = _body_model(body)
        alias, extra = router.resolve_model(model)
        requested, kept, dropped = self._betas("messages", betas, extra)
        candidates, chat = _translatable(router.candidates(alias, key_id=key_id), body, alias, "chat")
        if chat is not None and stream:
            chat.update(stream=True, stream_options={"include_usage": True})
        claude_body = {k: v for k, v in body.items() if k != "model"}
        claude_body["anthropic_version"] = ANTHROPIC_VERSION
        if stream:
            claude_body["stream"] = True
        elif claude_body.get("stream"):
            del claude_body["stream"]
        headers = _claude_headers(kept, anthropic_version)

        def build(adapter: Any, cand: Candidate) -> WireRequest:
            if cand.family == "anthropic":
                action = "streamRawPredict" if stream else "rawPredict"
                return WireRequest(f"publishers/anthropic/models/{cand.target}:{action}", claude_body,
                                   stream=stream, headers=headers)
            if chat is None or not adapter.supports("chat"):
                raise InvalidRequestError(f"{model} ({cand.target}) cannot answer the Messages API.")
            return cast(WireRequest, adapter.build_chat(chat, target=cand.target, model=alias))

        def dropped_for(cand: Candidate) -> list[str]:
            return dropped if cand.family == "anthropic" else requested

        started = time.perf_counter()
        call = Call(model=alias, capability="chat", build=build)
        slots = self._slots(candidates)
        if stream:
            def finish_stream(slot: Slot, wire: WireRequest, url: str, host: str, ex: Any, attempts: list[Any]
                              ) -> RawRouteStream:
                cand = slot.cand
                relay: Any = RawRelay("anthropic") if cand.family == "anthropic" else TranslatingRelay(
                    cand.adapter.stream_translator(model=alias, include_usage=True, request=chat), model=model)
                return RawRouteStream(_route(slot, wire, url, host, attempts, alias, dropped_for(cand)),
                                      ex.response, ex.raw, ex.first, relay, started=started)

            return await router._runner.route(call, slots, finish_stream, stream=True)

        def finish(slot: Slot, wire: WireRequest, url: str, host: str, ex: Any, attempts: list[Any]) -> RouteResult:
            cand = slot.cand
            answer = _loads(ex, slot)
            usage: Json | None
            if cand.family == "anthropic":
                reader = UsageReader()
                reader.read(answer)
                response, usage = answer, reader.normalised()
            else:
                completion = cand.adapter.parse_chat(answer, model=alias)
                response, usage = chat_to_message(completion, model=model), usage_dict(completion.get("usage"))
            return _result(slot, wire, url, host, ex, attempts, started, response=response, usage=usage,
                           dropped=dropped_for(cand), body=answer)

        return await router._runner.route(call, slots, finish, stream=False)

    async def count_tokens(self, body: Json, *, betas: str | Sequence[str] | None, key_id: str | None,
                           anthropic_version: str | None = None) -> RouteResult:
        router = self.router
        model = _body_model(body)
        alias, extra = router.resolve_model(model)
        requested, kept, dropped = self._betas("count_tokens", betas, extra)
        candidates, chat = _translatable(router.candidates(alias, key_id=key_id), body, alias, "count_tokens")
        headers = _claude_headers(kept, anthropic_version)

        def build(adapter: Any, cand: Candidate) -> WireRequest:
            if cand.family == "anthropic":
                wire_body: Json = {k: body[k] for k in COUNT_FIELDS if k in body}
                wire_body.update(model=cand.target, anthropic_version=ANTHROPIC_VERSION)
                return WireRequest(COUNT_TOKENS_RESOURCE, wire_body, headers=headers)
            if chat is None or not adapter.supports("count_tokens"):
                raise InvalidRequestError(f"{model} ({cand.target}) cannot count tokens; pick a model that does.")
            return cast(WireRequest, adapter.build_count_tokens(chat, target=cand.target))

        started = time.perf_counter()

        def finish(slot: Slot, wire: WireRequest, url: str, host: str, ex: Any, attempts: list[Any]) -> RouteResult:
            cand = slot.cand
            answer = _loads(ex, slot)
            if cand.family == "anthropic":
                tokens = answer.get("input_tokens")
            else:
                tokens = cand.adapter.parse_count_tokens(answer, model=alias)["input_tokens"]
            if not isinstance(tokens, int):
                raise UpstreamServerError(f"Vertex's token count for {cand.target} in {slot.region} has no "
                                          "input_tokens.", upstream_status=ex.status, upstream_body=answer)
            return _result(slot, wire, url, host, ex, attempts, started, response={"input_tokens": tokens},
                           usage=None, dropped=dropped if cand.family == "anthropic" else requested, body=answer)

        call = Call(model=alias, capability="count_tokens", build=build)
        return await router._runner.route(call, self._slots(candidates), finish, stream=False)

    # -- /vertex pass-through -------------------------------------------------------------------

    async def vertex(self, model_alias: str, action: str, body: bytes, *, betas: str | Sequence[str] | None,
                     region_preference: str | None, key_id: str | None, query: Mapping[str, str] | None,
                     api_version: str = "v1", anthropic_version: str | None = None) -> RouteResult | RawRouteStream:
        router = self.router
        if not isinstance(body, bytes | bytearray):
            raise InvalidRequestError("body: the request body must be bytes.")
        if api_version not in API_VERSIONS:
            raise InvalidRequestError(f"api_version: must be one of {', '.join(API_VERSIONS)}.")
        alias, extra = router.resolve_model(model_alias)
        candidates = router.candidates(alias, key_id=key_id)
        family = candidates[0].family
        if action not in VERTEX_ACTIONS.get(family, frozenset()):
            allowed = ", ".join(sorted(VERTEX_ACTIONS.get(family, ()))) or "none"
            raise InvalidRequestError(f"action: {model_alias} ({candidates[0].target}) does not answer :{action} "
                                      f"here; its actions are: {allowed}.")
        route = "count_tokens" if action == "count-tokens" else "messages"
        requested, kept, dropped = self._betas(route, betas, extra)
        stream = action in STREAM_ACTIONS
        sse = action == "streamRawPredict" or (query or {}).get("alt") == "sse"
        wire_query = {"alt": "sse"} if action == "streamGenerateContent" and sse else {}
        parsed_body: Any = None
        if action == "count-tokens":
            try:
                parsed_body = orjson.loads(body)
            except orjson.JSONDecodeError:
                raise InvalidRequestError("body: must be a JSON object.") from None
            if not isinstance(parsed_body, dict):
                raise InvalidRequestError("body: must be a JSON object.")

        claude_headers = _claude_headers(kept, anthropic_version)

        def build(adapter: Any, cand: Candidate) -> WireRequest:
            headers = claude_headers if cand.family == "anthropic" else {}
            if cand.family == "tuned":
                resource = f"endpoints/{cand.target}:{action}"
            elif action == "count-tokens":
                resource = COUNT_TOKENS_RESOURCE
            else:
                resource = f"publishers/{_PUBLISHER[cand.family]}/models/{cand.target}:{action}"
            content = (orjson.dumps({**parsed_body, "model": cand.target}) if parsed_body is not None
                       else bytes(body))
            # orjson serialises a Fragment as its bytes, unchanged: the body goes out verbatim.
            return WireRequest(resource, cast(Json, orjson.Fragment(content)), query=wire_query, stream=stream,
                               headers=headers, api_version=api_version)

        def dropped_for(cand: Candidate) -> list[str]:
            return dropped if cand.family == "anthropic" else requested

        def shown(wire: WireRequest, url: str) -> tuple[WireRequest, str]:
            try:
                sent: Any = orjson.loads(cast(Any, wire.body).contents)
            except (orjson.JSONDecodeError, AttributeError):
                sent = None
            return dataclasses.replace(wire, body=sent), url

        started = time.perf_counter()
        call = Call(model=alias, capability="vertex", build=build)
        slots = self._slots(candidates, region_preference)
        if stream:
            def finish_stream(slot: Slot, wire: WireRequest, url: str, host: str, ex: Any, attempts: list[Any]
                              ) -> RawRouteStream:
                cand = slot.cand
                relay = RawRelay(cand.family)
                return RawRouteStream(_route(slot, *shown(wire, url), host, attempts, alias, dropped_for(cand)),
                                      ex.response, ex.raw, ex.first, relay, started=started, sse=sse)

            return cast(RawRouteStream, await router._runner.route(call, slots, finish_stream, stream=True))

        def finish(slot: Slot, wire: WireRequest, url: str, host: str, ex: Any, attempts: list[Any]) -> RouteResult:
            try:
                answer: Any = orjson.loads(ex.body or b"")
            except orjson.JSONDecodeError:
                answer = None
            reader = UsageReader()
            if isinstance(answer, dict) and action not in ("countTokens", "count-tokens"):
                reader.read(answer)
            usage = reader.normalised()
            return _result(slot, *shown(wire, url), host, ex, attempts, started,
                           response=answer if isinstance(answer, dict) else {}, usage=usage,
                           dropped=dropped_for(slot.cand), body=answer)

        return cast(RouteResult, await router._runner.route(call, slots, finish, stream=False))
