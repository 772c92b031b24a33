"""The OpenAI surface's frame around every /v1 endpoint: authentication, the rate limit, errors.

`v1_endpoint(operation)` wraps an async view `fn(request, call, ...)` where `call` is the call
pipeline's `GatewayCall` (gateway_admin/pipeline/): the caller is authenticated (`Authorization:
Bearer`) and counted against its token's requests-per-minute limit before `fn` runs; any exception
becomes an OpenAI-style error body; and the pipeline writes the call's one request-log entry (for
streams, when the stream ends; see `streaming.py`). The frame itself is shared by every surface
(gateway_admin/surfaces/frame.py).
"""

from __future__ import annotations

from collections.abc import Callable

from gateway_admin.surfaces.auth import bearer_token
from gateway_admin.surfaces.frame import View, answer, endpoint

from ..errors import error_response


def v1_endpoint(operation: str, *, methods: tuple[str, ...] = ("POST",)) -> Callable[[View], View]:
    return endpoint(surface="openai", operation=operation, credential=bearer_token, error_response=error_response,
                    methods=methods)


__all__ = ["answer", "v1_endpoint"]
