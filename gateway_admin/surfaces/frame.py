"""The frame around every gateway endpoint, whatever its dialect: method, authentication, the
token's requests-per-minute limit, errors, and the call's one request-log entry.

`endpoint(surface=..., operation=..., credential=..., error_response=...)` wraps an async view
`fn(request, call, ...)`, where `call` is the call pipeline's `GatewayCall` with its caller set.
Each surface says where its clients put the API token (`credential`: the OpenAI SDK sends
`Authorization: Bearer`, the anthropic SDK `x-api-key`, google-genai `x-goog-api-key`) and how an
error looks in its dialect (`error_response`); everything else is the same for all of them.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from gateway_admin.pipeline import Caller, GatewayCall
from gateway_admin.pipeline.errors import GatewayError, rate_limited
from gateway_admin.surfaces.auth import authenticate_raw
from gateway_admin.surfaces.http import json_response
from gateway_admin.usage.ratelimit import ahit

# An async view: a coroutine function, which is what Django's path() takes (and its stubs expect).
View = Callable[..., Coroutine[Any, Any, HttpResponseBase]]
Credential = Callable[[HttpRequest], str]
ErrorResponse = Callable[[GatewayError], HttpResponseBase]


def method_not_allowed(request: HttpRequest, methods: tuple[str, ...]) -> GatewayError:
    return GatewayError(405, f"Use {' or '.join(methods)} for {request.path}.", code="method_not_allowed")


def endpoint(*, surface: str, operation: str, credential: Credential, error_response: ErrorResponse,
             methods: tuple[str, ...] = ("POST",)) -> Callable[[View], View]:
    def decorate(fn: View) -> View:
        @functools.wraps(fn)
        async def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method not in methods:
                response = error_response(method_not_allowed(request, methods))
                response["Allow"] = ", ".join(methods)
                return response
            call = GatewayCall(surface=surface, operation=operation)
            try:
                token = await authenticate_raw(credential(request))
                call.caller = Caller.of_token(token)
                if token.rpm_limit:
                    wait = await ahit(token.id, token.rpm_limit)
                    if wait is not None:
                        raise rate_limited(token.rpm_limit, wait)
                response = await fn(request, call, *args, **kwargs)
            except asyncio.CancelledError:
                # The client went away before the answer (Django cancels the view): still one entry.
                call.closed()
                raise
            except Exception as exc:
                return error_response(call.fail(exc))
            if not call.deferred:
                call.record(status=response.status_code)  # a no-op when the view recorded its answer
            return response

        return csrf_exempt(view)

    return decorate


async def answer(call: GatewayCall, data: Any, *, result: Any = None, logged_body: Any = None,
                 usage: Any = None) -> HttpResponseBase:
    """A JSON answer, settled and recorded as the call's outcome (with the route and usage of `result`)."""
    response = json_response(data)
    await call.done(result, response_body=logged_body, usage=usage)
    return response
