"""A lightweight ASGI path for the gateway's API surfaces, in front of the full Django application.

The surfaces are /v1/ (OpenAI-compatible, and the Anthropic Messages API at /v1/messages) and
/vertex/ (the Vertex pass-through); below, "/v1" stands for all of them (`PREFIXES`). `HEAD /` is
answered 200 here too: Claude Code probes it before its first call.


The dashboard's middleware (sessions, CSRF, auth, messages, CSP, axes, and WhiteNoise, which is
sync-only and so costs two thread hops per request under ASGI) does nothing for an API that
authenticates with bearer tokens, and Django's ASGI handler adds a fresh executor thread per
request for its request_started/request_finished signal receivers, which only close database
connections the /v1 event loop never opens (its database work runs in `db.run_db` threads that
close their own connections). So /v1 requests go to `V1Handler`: the same Django URL resolution,
views, request and response classes, with only `V1_MIDDLEWARE` and no per-request thread.
Django's own SecurityMiddleware is a MiddlewareMixin, which under ASGI runs its request and response
hooks through sync_to_async (two thread hops per call, measured at ~20% of a worker's CPU in
bench/gateway_bench.py), so /v1 has a native async equivalent, `V1SecurityMiddleware`.
Everything else goes to the normal application unchanged. Measured with bench/gateway_bench.py
(`--app bench.plain_asgi:application` serves /v1 through the full stack): 5.3 ms of worker CPU per
chat call and +6.2 ms added p50 through the full stack, 1.4 ms and +1.6 ms through this path.

Use: `application = with_v1_fast_path(get_asgi_application())` (gateway_admin/asgi.py).
The lifespan protocol is answered here too: at shutdown the request-log queue is flushed and the
pooled upstream connections are closed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from asgiref.sync import markcoroutinefunction
from django.conf import settings
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponseBase
from django.urls import get_resolver, set_script_prefix
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# ASGI as Django's ASGIHandler takes it: a scope dict, events as mappings.
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[Mapping[str, Any]]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PREFIXES = ("/v1/", "/vertex/")
V1_MIDDLEWARE = ("gateway_admin.openai_api.asgi.V1SecurityMiddleware",)


class V1SecurityMiddleware:
    """What Django's SecurityMiddleware does for an API answer, natively async: nosniff, the
    referrer policy, HSTS on HTTPS, `Cache-Control: no-store`; plain HTTP refused (not redirected: a redirected POST would be
    replayed as a GET) when SECURE_SSL_REDIRECT is on."""

    async_capable = True
    sync_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]]) -> None:
        self.get_response = get_response
        self.nosniff = settings.SECURE_CONTENT_TYPE_NOSNIFF
        self.referrer_policy = settings.SECURE_REFERRER_POLICY
        self.ssl_required = settings.SECURE_SSL_REDIRECT
        hsts = settings.SECURE_HSTS_SECONDS
        if hsts:
            hsts_value = f"max-age={hsts}"
            if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
                hsts_value += "; includeSubDomains"
            if settings.SECURE_HSTS_PRELOAD:
                hsts_value += "; preload"
        self.hsts = hsts_value if hsts else ""
        markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self.ssl_required and not request.is_secure():
            from gateway_admin.pipeline.errors import GatewayError

            from .errors import error_response

            return error_response(GatewayError(403, "This gateway accepts HTTPS only.", code="https_required"))
        response = await self.get_response(request)
        if self.nosniff:
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if self.referrer_policy:
            value = self.referrer_policy
            response.headers.setdefault("Referrer-Policy", value if isinstance(value, str) else ",".join(value))
        if self.hsts and request.is_secure():
            response.headers.setdefault("Strict-Transport-Security", self.hsts)
        # Answers are per caller (completions, model lists of their keys): never stored by a cache.
        response.headers.setdefault("Cache-Control", "no-store")
        return response


class V1Handler(ASGIHandler):
    """Django's ASGI handler with a short middleware chain and no per-request thread."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        # BaseHandler._get_response_async (Django's private view runner) is missing from django-stubs.
        handler = convert_exception_to_response(self._get_response_async)  # type: ignore[attr-defined]
        for path in reversed(V1_MIDDLEWARE):
            middleware = import_string(path)
            if not getattr(middleware, "async_capable", False):
                raise RuntimeError(f"{path} is not async-capable; /v1 must stay free of thread hops")
            instance = middleware(handler)
            if hasattr(instance, "process_view"):
                self._view_middleware.insert(0, self.adapt_method_mode(True, instance.process_view))
            if hasattr(instance, "process_template_response"):
                self._template_response_middleware.append(
                    self.adapt_method_mode(True, instance.process_template_response))
            if hasattr(instance, "process_exception"):
                self._exception_middleware.append(self.adapt_method_mode(False, instance.process_exception))
            handler = convert_exception_to_response(instance)
        self._middleware_chain = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.handle(scope, receive, send)

    # path -> ResolverMatch, for the resolver it came from. Resolving walks the whole URL map (/v1
    # comes after the dashboard's and the API's patterns); bench/upstream_bench.py measured it at
    # ~4% of a worker's samples per chat call. Bounded: ids in paths (/v1/videos/<id>) vary.
    _resolved: dict[str, Any]
    _resolved_by: Any = None
    RESOLVED_MAX = 512

    def resolve_request(self, request: HttpRequest) -> Any:
        if hasattr(request, "urlconf"):  # a middleware chose another URL map: no cache
            return super().resolve_request(request)
        resolver = get_resolver()
        if resolver is not self._resolved_by:  # first call, or the URL map changed (tests)
            self._resolved, self._resolved_by = {}, resolver
        match = self._resolved.get(request.path_info)
        if match is None:
            match = super().resolve_request(request)
            if len(self._resolved) >= self.RESOLVED_MAX:
                self._resolved.clear()
            self._resolved[request.path_info] = match
        else:
            request.resolver_match = match
        return match

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Django's ASGIHandler.handle without the request signals and the thread hop at the end."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            assert error_response is not None  # create_request returns a request or an error response
            body_file.close()
            await self.send_response(error_response, send)
            return

        async def process_request() -> Any:
            response = await self.run_get_response(request)
            try:
                await self.send_response(response, send)
            except asyncio.CancelledError:
                pass
            return response

        # As Django does: a client disconnect cancels the view (and so an upstream stream).
        tasks = [asyncio.create_task(self.listen_for_disconnect(receive)),
                 asyncio.create_task(process_request())]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                try:
                    task.result()
                except RequestAborted:
                    pass
            else:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
        body_file.close()


def _is_v1(scope: Scope) -> bool:
    if scope.get("type") != "http":
        return False
    path: str = scope.get("path", "")
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root):]
    return path.startswith(PREFIXES)


def _is_probe(scope: Scope) -> bool:
    """`HEAD /`: a client (Claude Code) checking the base URL answers before its first call."""
    return scope.get("type") == "http" and scope.get("method") == "HEAD" and scope.get("path") in ("", "/")


async def _answer_probe(send: Send) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            _warm_up()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await _shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return


def _warm_up() -> None:
    """Pay the one-time imports (URL map, the pooled upstream client) before the first call does."""
    from django.urls import get_resolver

    from routing import transport

    try:
        get_resolver().url_patterns  # noqa: B018 - imports every urls module
        transport.async_client()
    except Exception:
        logger.exception("warm-up failed; the first request will pay for it")


async def _shutdown() -> None:
    from gateway_admin.services.request_log import request_log_close
    from routing import transport

    try:
        await asyncio.to_thread(request_log_close, 10.0)
        await transport.aclose()
    except Exception:
        logger.exception("shutdown cleanup failed")


def with_v1_fast_path(application: ASGIApp) -> ASGIApp:
    """Route /v1/ and /vertex/ to V1Handler, answer `HEAD /`, and everything else to `application`; answer lifespan events."""
    v1 = V1Handler()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if _is_v1(scope):
            await v1(scope, receive, send)
        elif _is_probe(scope):
            await _answer_probe(send)
        elif scope.get("type") == "lifespan":
            await _lifespan(receive, send)
        else:
            await application(scope, receive, send)

    return app
