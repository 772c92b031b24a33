"""POST /v1/images/generations (JSON) and POST /v1/images/edits (multipart, as the SDKs send it, or JSON).

Vertex returns image bytes, so answers carry `b64_json`; `response_format: "url"` is answered with
`data:` URLs (there is no image hosting behind the gateway).
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponseBase
from django.http.multipartparser import MultiPartParserError

from gateway_admin.pipeline import GatewayCall
from gateway_admin.pipeline.errors import GatewayError, invalid_request
from gateway_admin.surfaces.http import model_of, read_json_object
from routing.usage import Usage

from ..schemas import validate
from .base import answer, v1_endpoint

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
INT_FIELDS = ("n",)


def _as_url(response: dict[str, Any]) -> dict[str, Any]:
    data = []
    for item in response.get("data", ()):
        if "b64_json" in item:
            item = {**item}
            mime = item.pop("mime_type", "image/png")
            item["url"] = f"data:{mime};base64,{item.pop('b64_json')}"
        data.append(item)
    return {**response, "data": data}


def _logged(response: dict[str, Any]) -> dict[str, Any]:
    """The answer without the image bytes."""
    data = [{k: (f"<{len(v)} base64 characters>" if k in ("b64_json", "url") else v) for k, v in item.items()}
            for item in response.get("data", ())]
    return {**response, "data": data}


def _file_to_data_url(upload: Any, param: str) -> str:
    if upload.size > MAX_UPLOAD_BYTES:
        raise GatewayError(413, f"{param}: the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.", param=param)
    content = upload.read()
    mime = upload.content_type or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(content).decode()}"


def parse_form(request: HttpRequest, *, files: tuple[str, ...]) -> dict[str, Any]:
    """A multipart form as a request dict: files become data URLs, `n`-like fields integers."""
    try:
        post, uploads = request.POST, request.FILES
    except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent) as exc:
        raise invalid_request(f"The multipart body could not be read: {exc}") from None
    except RequestDataTooBig:
        raise GatewayError(413, "The request body is too large.") from None
    body: dict[str, Any] = {}
    for name in post:
        values = post.getlist(name)
        key = name.removesuffix("[]")
        body[key] = values if name.endswith("[]") or len(values) > 1 else values[0]
    for name in INT_FIELDS:
        if isinstance(body.get(name), str):
            try:
                body[name] = int(body[name])
            except ValueError:
                raise invalid_request(f"{name}: must be an integer.", param=name) from None
    for name in uploads:
        key = name.removesuffix("[]")
        if key not in files:
            raise invalid_request(f"{key}: no file is expected here.", param=key)
        urls = [_file_to_data_url(f, key) for f in uploads.getlist(name)]
        body[key] = urls if name.endswith("[]") or len(urls) > 1 else urls[0]
    return body


async def read_body(request: HttpRequest, *, files: tuple[str, ...]) -> dict[str, Any]:
    if (request.content_type or "").startswith("multipart/form-data"):
        # Parsing may spill uploads to disk: keep it off the event loop.
        return await asyncio.to_thread(parse_form, request, files=files)
    return read_json_object(request)


async def _images(call: GatewayCall, body: dict[str, Any], *, edit: bool) -> HttpResponseBase:
    call.keep_request_body({k: v for k, v in body.items() if k not in ("image", "mask")})
    body["model"] = await call.resolve(body["model"])
    router = call.router
    assert router is not None
    as_url = body.get("response_format") == "url"
    if as_url:
        body["response_format"] = "b64_json"
    result = await (router.image_edits(body) if edit else router.images(body))
    response = _as_url(result.response) if as_url else result.response
    logged = _logged(response) if call.caller.log_bodies else None
    # Vertex prices images per image: the answer's count is the usage.
    return await answer(call, response, result=result, logged_body=logged,
                        usage=Usage(images=len(response.get("data") or ())))


@v1_endpoint("images")
async def generations(request: HttpRequest, call: GatewayCall) -> HttpResponseBase:
    body = read_json_object(request)
    call.model = model_of(body)
    validate("ImageGenerationRequest", body)
    return await _images(call, body, edit=False)


@v1_endpoint("images")
async def edits(request: HttpRequest, call: GatewayCall) -> HttpResponseBase:
    body = await read_body(request, files=("image", "mask"))
    call.model = model_of(body)
    for name in ("model", "prompt", "image"):
        if not body.get(name):
            raise invalid_request(f"{name}: is required.", param=name)
    return await _images(call, body, edit=True)
