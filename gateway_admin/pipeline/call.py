"""One gateway call, whatever the surface: checks, routing, typed events and one request-log entry.

A surface (the OpenAI-compatible /v1, the playground, and the native surfaces) parses its dialect,
then hands the rest to a `GatewayCall`:

    call = GatewayCall(caller, surface="openai", operation="chat")
    model = await call.resolve(body["model"])           # scope, allowedModels, limits: before anything leaves
    result = await call.router.chat(body)                # or: stream = await call.router.chat_stream(body)
    await call.done(result, response_body=...)           # spend settled, one request-log entry
    # streams: `async for event in call.events(stream)` yields Chunk ... then Done or Failed, and
    # writes the entry when the stream ends, fails or the client goes away (status 499).

Errors are `GatewayError`s (pipeline/errors.py); `call.fail(exc)` records any exception once and
returns the GatewayError to frame. Every path writes exactly one entry: `record()` is idempotent,
and the first outcome wins.

This is also the one place where limits, cost, spend and metrics are counted, so every surface
counts the same way (gateway_admin/usage/): `resolve()` refuses a call whose token, user or team
budget is used up, or whose token is over its tokens-per-minute limit, before anything leaves;
`settle()` prices what Vertex reported and adds it to the spend counters and the daily rollup
before the answer's last byte is sent (a plain answer is settled before it is returned, a stream
before its final frame), so a client never has an answer whose spend was not recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from django.utils import timezone

from gateway_admin.metrics import metrics_observe
from gateway_admin.services.request_log import RequestLogEntry, request_log_write
from gateway_admin.usage import BudgetExceeded, Cost, abudget_check, aspend_record, atpm_check, call_cost
from routing.errors import RoutingError
from routing.results import Attempt
from routing.usage import Usage, usage_from

from . import state
from .errors import GatewayError, error_of, from_routing_error, rate_limited, server_error

if TYPE_CHECKING:
    from routing.router import Router

logger = logging.getLogger("gateway_admin.pipeline")

# nginx's "client closed request": the caller went away before the answer ended.
CLIENT_CLOSED = 499
CLIENT_CLOSED_TYPE = "client_closed_request"
CLIENT_CLOSED_MESSAGE = "The caller stopped the answer before it ended."


class TokenLike(Protocol):
    """What the pipeline needs of an API token (openai_api.auth.TokenInfo)."""

    @property
    def id(self) -> int: ...

    @property
    def user_id(self) -> int: ...

    @property
    def log_bodies(self) -> bool: ...

    @property
    def tpm_limit(self) -> int | None: ...

    def allows(self, model: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: an API token (and its owner), or a signed-in user (the playground)."""

    user_id: int | None = None
    token: TokenLike | None = None

    @classmethod
    def of_token(cls, token: TokenLike) -> Caller:
        return cls(user_id=token.user_id, token=token)

    @property
    def log_bodies(self) -> bool:
        return bool(self.token is not None and self.token.log_bodies)


# -- events ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class Chunk:
    """One item of the stream as routing produced it (an OpenAI chunk, a Responses event, raw SSE)."""

    data: Any


@dataclass(slots=True)
class Done:
    """The stream ended normally; `usage` is what the upstream reported."""

    usage: Usage
    ttft_ms: float | None


@dataclass(slots=True)
class Failed:
    """The stream broke after it started (never retried): the surface ends it with an error frame."""

    error: GatewayError
    cause: BaseException


Event = Chunk | Done | Failed


class Collector(Protocol):
    """Keeps what a stream answered, for body logging."""

    def add(self, item: Any) -> None: ...

    def body(self) -> Any: ...


# -- route fields ----------------------------------------------------------------------------------


def attempt_dict(attempt: Attempt) -> dict[str, Any]:
    return asdict(attempt)


def _route_fields(source: Any) -> dict[str, Any]:
    """Request-log fields from a RouteResult, a RouteStream or a RoutingError (its attempts)."""
    attempts: list[Attempt] = list(getattr(source, "attempts", None) or [])
    last = attempts[-1] if attempts else None

    def pick(name: str) -> str:
        value = getattr(source, name, None)
        if not value and last is not None:
            value = getattr(last, name, None)
        return str(value or "")

    key_id = pick("key_id")
    return {
        "key_id": int(key_id) if key_id.isdigit() else None,
        "key_name": pick("key_name"),
        "region": pick("region"),
        "host": pick("host"),
        "target": pick("target"),
        "attempts": max(1, len(attempts)),
        "failovers": sum(1 for a in attempts if a.failover),
        "route": [attempt_dict(a) for a in attempts],
        "betas_dropped": list(getattr(source, "betas_dropped", None) or []),
    }


# -- the call --------------------------------------------------------------------------------------


@dataclass
class GatewayCall:
    """One call through the gateway (see the module docstring)."""

    surface: str  # openai | anthropic | vertex | playground
    operation: str  # chat | responses | embeddings | images | videos | models | messages | ...
    caller: Caller = field(default_factory=Caller)
    source: str = "api"  # api | playground (the request log's source)
    model: str = ""
    stream: bool = False
    request_body: Any = None
    router: Router | None = None
    started: float = field(default_factory=time.perf_counter)
    entry: RequestLogEntry | None = None
    # Set once a stream's events are handed out: the stream writes the entry when it ends.
    deferred: bool = False
    cost: Cost | None = None

    # -- before the call ---------------------------------------------------------------------------

    async def resolve(self, model: object) -> str:
        """Check the caller may use `model` and that it exists (scope first, so a scoped token learns
        nothing of other models); sets `model` and `router`. Raises GatewayError."""
        model_id, router = await state.resolve_model(model, scope=self.caller.token)
        self.model, self.router = model_id, router
        await self._check_limits()
        return model_id

    async def _check_limits(self) -> None:
        """Budgets (token, user, team) and the token's tokens-per-minute limit: refused here, before
        anything is sent to Vertex, with a message naming the limit."""
        token = self.caller.token
        try:
            await abudget_check(token_id=token.id if token is not None else None, user_id=self.caller.user_id)
        except BudgetExceeded as exc:
            wait = (exc.resets_at - timezone.now()).total_seconds() if exc.resets_at is not None else None
            raise GatewayError(429, exc.message, type="insufficient_quota", code="insufficient_quota",
                               retry_after=wait) from None
        if token is not None and token.tpm_limit:
            wait = await atpm_check(token_id=token.id, tpm_limit=token.tpm_limit)
            if wait is not None:
                raise rate_limited(token.tpm_limit, wait, unit="tokens")

    async def settle(self, source: Any, usage: Any, *, error: bool = False) -> None:
        """Price what the upstream reported for this call and add it to the spend counters and the
        daily rollup (awaited: durable before the caller has the answer). Once per call."""
        if self.cost is not None:
            return
        used = usage_from(usage)
        target, region = str(getattr(source, "target", "") or ""), str(getattr(source, "region", "") or "")
        self.cost = call_cost(target=target, region=region, usage=used) if target else Cost(None, "none")
        if not target:
            return
        token = self.caller.token
        key_id = str(getattr(source, "key_id", "") or "")
        try:
            await aspend_record(token_id=token.id if token is not None else None, user_id=self.caller.user_id,
                                key_id=int(key_id) if key_id.isdigit() else None, model=self.model,
                                target=target, region=region, usage=used, cost=self.cost, at=timezone.now(),
                                error=error)
        except Exception:  # counting must not fail an answer Vertex already gave
            logger.exception("could not record the spend of a call")

    def keep_request_body(self, body: Any) -> None:
        if self.caller.log_bodies:
            self.request_body = body

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000.0

    # -- outcomes ----------------------------------------------------------------------------------

    async def done(self, result: Any, *, response_body: Any = None, status: int = 200, usage: Any = None) -> None:
        """A plain call answered: settle its spend, then record it with its route and usage (the
        result's own, unless the surface counts it, e.g. images in an answer)."""
        if usage is None:
            usage = getattr(result, "usage", None)
        if result is not None:
            await self.settle(result, usage)
        self.record(status=status, source=result, usage=usage, response_body=response_body)

    def fail(self, exc: BaseException) -> GatewayError:
        """Record a call that failed with `exc` (any exception) and return the error to answer with."""
        err = error_of(exc)
        self.record(status=err.status, source=exc if isinstance(exc, RoutingError) else None, error=err)
        return err

    def closed(self) -> None:
        """The client went away before the answer: still one entry."""
        self.record(status=CLIENT_CLOSED)

    def events(self, stream: Any, *, collector: Collector | None = None) -> AsyncIterator[Event]:
        """The stream as typed events; the entry is written when it ends, however it ends.

        Call it before the view returns: the call is marked as deferred at once."""
        self.deferred = True
        return self._events(stream, collector if self.caller.log_bodies else None)

    async def _events(self, stream: Any, collector: Collector | None) -> AsyncIterator[Event]:
        status = 200
        error: GatewayError | None = None
        try:
            async for item in stream:
                if collector is not None:
                    collector.add(item)
                yield Chunk(item)
            # Counted before the final frame: the caller never has a whole answer whose spend is lost.
            await self.settle(stream, getattr(stream, "usage", None))
            yield Done(usage=usage_from(getattr(stream, "usage", None)), ttft_ms=getattr(stream, "ttft_ms", None))
        except (asyncio.CancelledError, GeneratorExit):
            status = CLIENT_CLOSED
            raise
        except RoutingError as exc:
            error = from_routing_error(exc)
            status = error.status
            await self.settle(stream, getattr(stream, "usage", None), error=True)
            yield Failed(error, exc)
        except Exception as exc:
            logger.exception("a gateway stream failed")
            error = server_error()
            status = error.status
            yield Failed(error, exc)
        finally:
            try:
                await stream.aclose()
            except Exception:
                logger.warning("closing an upstream stream failed", exc_info=True)
            if self.cost is None and status == CLIENT_CLOSED:
                # What Vertex used until the caller left still counts against the budgets.
                with contextlib.suppress(BaseException):
                    await self.settle(stream, getattr(stream, "usage", None), error=True)
            self.record(status=status, source=stream, error=error, usage=getattr(stream, "usage", None),
                        ttft_ms=getattr(stream, "ttft_ms", None),
                        response_body=collector.body() if collector is not None else None)

    # -- the one entry -----------------------------------------------------------------------------

    def record(self, *, status: int, source: Any = None, error: GatewayError | None = None, usage: Any = None,
               response_body: Any = None, ttft_ms: float | None = None) -> RequestLogEntry | None:
        """Write this call's request-log entry (the first outcome wins; later calls do nothing)."""
        if self.entry is not None:
            return None
        used = usage_from(usage)
        token = self.caller.token
        error_type, error_message = "", ""
        if error is not None:
            error_type, error_message = error.code or error.type, error.message
        elif status == CLIENT_CLOSED:
            error_type, error_message = CLIENT_CLOSED_TYPE, CLIENT_CLOSED_MESSAGE
        route = _route_fields(source) if source is not None else {}
        entry = RequestLogEntry(
            source=self.source, surface=self.surface, operation=self.operation,
            token_id=token.id if token is not None else None, user_id=self.caller.user_id,
            model=self.model, stream=self.stream, status=status, error_type=error_type,
            error_message=error_message, latency_ms=round(self.elapsed_ms(), 3), ttft_ms=ttft_ms,
            input_tokens=used.input_tokens, output_tokens=used.output_tokens,
            cache_read_tokens=used.cache_read_tokens, cache_write_tokens=used.cache_write_tokens,
            log_bodies=self.caller.log_bodies, request_body=self.request_body,
            response_body=response_body, cost_usd=self.cost.usd if self.cost is not None else None,
            price_version=self.cost.price_version if self.cost is not None else "", **route,
        )
        self.entry = entry
        try:
            request_log_write(entry)
        except Exception:  # the log must never break the answer
            logger.exception("could not queue a request-log entry")
        metrics_observe(entry)
        return entry
