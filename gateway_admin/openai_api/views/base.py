"""What every /v1 endpoint shares: authentication, the rate limit, error answers and the request log.

`v1_endpoint(operation)` wraps an async view `fn(request, call, ...)`: the caller is authenticated
and counted against its token's requests-per-minute limit before `fn` runs; any ApiError, model
error, routing error or bug becomes an OpenAI-style error body; and one request-log row is queued
when the answer is ready (for streams, when the stream ends; see `streaming.py`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from gateway_admin.services.gateway import ModelError
from gateway_admin.services.request_log import request_log_write
from routing.errors import RoutingError

from ..auth import TokenInfo, authenticate
from ..errors import ApiError, from_routing_error, rate_limited, server_error
from ..http import json_response
from ..ratelimit import ahit

logger = logging.getLogger("gateway_admin.openai_api")

View = Callable[..., Awaitable[HttpResponseBase]]
CLIENT_CLOSED = 499  # as nginx logs a request whose client closed the connection


def _usage_tokens(usage: dict[str, Any] | None) -> tuple[int | None, int | None]:
    if not isinstance(usage, dict):
        return None, None
    tokens_in = usage.get("prompt_tokens", usage.get("input_tokens"))
    tokens_out = usage.get("completion_tokens", usage.get("output_tokens"))
    return (tokens_in if isinstance(tokens_in, int) else None, tokens_out if isinstance(tokens_out, int) else None)


def _attempt_dict(attempt: Any) -> dict[str, Any]:
    if is_dataclass(attempt) and not isinstance(attempt, type):
        data = asdict(attempt)
    elif isinstance(attempt, dict):
        data = dict(attempt)
    else:
        data = {k: getattr(attempt, k, None) for k in ("key_id", "key_name", "region", "host", "target",
                                                       "status", "error", "latency_ms", "failover")}
    return {k: v for k, v in data.items() if isinstance(v, str | int | float | bool | type(None))}


def route_fields(source: Any) -> dict[str, Any]:
    """Request-log fields from a RouteResult, a RouteStream or a RoutingError (its `.attempts`)."""
    attempts = list(getattr(source, "attempts", None) or [])
    last = attempts[-1] if attempts else None

    def pick(name: str) -> Any:
        value = getattr(source, name, None)
        if value in (None, "") and last is not None:
            value = getattr(last, name, None) if not isinstance(last, dict) else last.get(name)
        return value or ""

    key_id = pick("key_id")
    fields: dict[str, Any] = {
        "key_name": pick("key_name"),
        "region": pick("region"),
        "host": pick("host"),
        "target": pick("target"),
        "attempts": max(1, len(attempts)),
        "failovers": sum(1 for a in attempts if (a.get("failover") if isinstance(a, dict) else getattr(a, "failover", False))),
        "route": [_attempt_dict(a) for a in attempts],
    }
    if str(key_id).isdigit():
        fields["key_id"] = int(key_id)
    return fields


@dataclass
class Call:
    """One /v1 call as the request log sees it."""

    operation: str
    started: float = field(default_factory=time.perf_counter)
    token: TokenInfo | None = None
    model: str = ""
    stream: bool = False
    request_body: Any = None
    # Set by streaming views: the stream writes the log row when it ends.
    deferred: bool = False

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000.0

    def log(
        self,
        *,
        status: int,
        source: Any = None,
        error: ApiError | None = None,
        usage: dict[str, Any] | None = None,
        response_body: Any = None,
        ttft_ms: float | None = None,
    ) -> None:
        fields: dict[str, Any] = route_fields(source) if source is not None else {}
        tokens_in, tokens_out = _usage_tokens(usage if usage is not None else getattr(source, "usage", None))
        token = self.token
        request_log_write(
            source="api",
            operation=self.operation,
            token_id=token.id if token else None,
            user_id=token.user_id if token else None,
            model=self.model,
            stream=self.stream,
            status=status,
            error_type=error.code or error.type if error else "",
            error_message=error.message if error else "",
            latency_ms=round(self.elapsed_ms(), 3),
            ttft_ms=ttft_ms,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            log_bodies=bool(token and token.log_bodies),
            request_body=self.request_body,
            response_body=response_body,
            **fields,
        )

    def keep_request_body(self, body: Any) -> None:
        if self.token is not None and self.token.log_bodies:
            self.request_body = body


def error_answer(exc: BaseException) -> tuple[ApiError, Any]:
    """(the error to answer with, the object carrying the route taken) for any exception."""
    if isinstance(exc, ApiError):
        return exc, None
    if isinstance(exc, ModelError):
        code = {403: "model_not_allowed", 404: "model_not_found"}.get(exc.status)
        kind = "permission_error" if exc.status == 403 else "invalid_request_error"
        return ApiError(exc.status, exc.message, type=kind, param="model", code=code), None
    if isinstance(exc, RoutingError):
        return from_routing_error(exc), exc
    logger.exception("unexpected error in /v1", exc_info=exc)
    return server_error(), None


def v1_endpoint(operation: str, *, methods: tuple[str, ...] = ("POST",)) -> Callable[[View], View]:
    def decorate(fn: View) -> View:
        @functools.wraps(fn)
        async def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            call = Call(operation=operation)
            if request.method not in methods:
                err = ApiError(405, f"Use {' or '.join(methods)} for {request.path}.", code="method_not_allowed")
                response = err.response()
                response["Allow"] = ", ".join(methods)
                return response
            try:
                call.token = await authenticate(request)
                if call.token.rpm_limit:
                    wait = await ahit(call.token.id, call.token.rpm_limit)
                    if wait is not None:
                        raise rate_limited(call.token.rpm_limit, wait)
                response = await fn(request, call, *args, **kwargs)
            except asyncio.CancelledError:
                # The client went away before the answer (Django cancels the view): still one row.
                call.log(status=CLIENT_CLOSED)
                raise
            except Exception as exc:
                err, source = error_answer(exc)
                call.log(status=err.status, source=source, error=err)
                return err.response()
            if not call.deferred:
                call.log(status=response.status_code, source=getattr(response, "route_source", None),
                         response_body=getattr(response, "logged_body", None),
                         usage=getattr(response, "logged_usage", None))
            return response

        return csrf_exempt(view)

    return decorate


def answer(data: Any, *, source: Any = None, logged_body: Any = None, usage: Any = None,
           status: int = 200) -> HttpResponseBase:
    """A JSON answer that also carries what the request log should record about it."""
    response = json_response(data, status=status)
    response.route_source = source  # type: ignore[attr-defined]
    response.logged_body = logged_body  # type: ignore[attr-defined]
    response.logged_usage = usage  # type: ignore[attr-defined]
    return response
