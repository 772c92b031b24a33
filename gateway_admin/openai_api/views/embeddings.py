"""POST /v1/embeddings."""

from __future__ import annotations

import base64
from typing import Any

from django.http import HttpRequest, HttpResponseBase

from gateway_admin.pipeline import GatewayCall
from gateway_admin.surfaces.http import model_of, read_json_object

from ..schemas import validate
from .base import answer, v1_endpoint


def _dimensions(embedding: Any) -> int:
    """Vector length of a float list or of routing's base64 (little-endian float32) string."""
    if isinstance(embedding, str):
        return len(base64.b64decode(embedding)) // 4
    return len(embedding or ())


def _logged(response: dict[str, Any]) -> dict[str, Any]:
    """The answer without its vectors (they are not text, and they are large)."""
    data = [{"index": d.get("index"), "dimensions": _dimensions(d.get("embedding"))} for d in response.get("data", ())]
    return {**response, "data": data}


@v1_endpoint("embeddings")
async def embeddings(request: HttpRequest, call: GatewayCall) -> HttpResponseBase:
    body = read_json_object(request)
    call.model = model_of(body)
    validate("EmbeddingsRequest", body)
    call.keep_request_body(body)
    body["model"] = await call.resolve(body["model"])
    assert call.router is not None
    # routing encodes the vectors as the caller's `encoding_format` asks (float or base64).
    result = await call.router.embeddings(body)
    response = result.response
    logged = _logged(response) if call.caller.log_bodies else None
    return await answer(call, response, result=result, logged_body=logged)
