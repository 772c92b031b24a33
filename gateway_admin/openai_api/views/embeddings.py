"""POST /v1/embeddings."""

from __future__ import annotations

import base64
import sys
from array import array
from typing import Any

from django.http import HttpRequest, HttpResponseBase

from gateway_admin.services.gateway import aresolve_model

from ..http import read_json_object
from ..schemas import validate
from .base import Call, answer, v1_endpoint


def _base64_floats(values: list[float]) -> str:
    """OpenAI's base64 encoding: little-endian float32 (the SDKs ask for it by default)."""
    packed = array("f", values)
    if sys.byteorder != "little":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode()


def _logged(response: dict[str, Any]) -> dict[str, Any]:
    """The answer without its vectors (they are not text, and they are large)."""
    data = [{"index": d.get("index"), "dimensions": len(d.get("embedding") or ())} for d in response.get("data", ())]
    return {**response, "data": data}


@v1_endpoint("embeddings")
async def embeddings(request: HttpRequest, call: Call) -> HttpResponseBase:
    body = read_json_object(request)
    call.model = body.get("model") if isinstance(body.get("model"), str) else ""
    validate("EmbeddingsRequest", body)
    call.keep_request_body(body)
    model, router = await aresolve_model(body["model"], token=call.token)  # type: ignore[arg-type]
    call.model = model
    encoding = body.pop("encoding_format", None) or "float"
    body["model"] = model
    result = await router.embeddings(body)
    response = result.response
    logged = _logged(response) if call.token and call.token.log_bodies else None
    if encoding == "base64":
        response = {**response, "data": [
            {**item, "embedding": _base64_floats(item["embedding"])} if isinstance(item.get("embedding"), list) else item
            for item in response.get("data", ())
        ]}
    return answer(response, source=result, logged_body=logged, usage=result.usage)
