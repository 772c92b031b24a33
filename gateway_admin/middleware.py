"""Dashboard middleware: authenticated pages and every config API answer are never cached."""

from __future__ import annotations

from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase
from django.utils.decorators import sync_and_async_middleware


def _mark(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    user = getattr(request, "user", None)
    if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
        response.headers["Cache-Control"] = "no-store"
    return response


@sync_and_async_middleware
def no_store(get_response: Any) -> Any:
    """`Cache-Control: no-store` on what a signed-in user sees and on /api/ answers (a browser's or a
    proxy's cache would otherwise keep pages with tokens, users and logs). Static files are served
    before this runs (WhiteNoise), so they keep their long cache lifetimes. /v1 sets its own."""
    if iscoroutinefunction(get_response):
        async def async_middleware(request: HttpRequest) -> HttpResponseBase:
            return _mark(request, await get_response(request))

        return markcoroutinefunction(async_middleware)

    def middleware(request: HttpRequest) -> HttpResponseBase:
        return _mark(request, get_response(request))

    return middleware
