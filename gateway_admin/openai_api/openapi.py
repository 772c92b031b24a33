"""The OpenAPI 3.1 document of /v1, served at GET /v1/openapi.json (no token needed).

The /v1 views are plain async Django views (DRF is sync-only), so drf-spectacular cannot inspect
them; this document is written by hand from the same schemas the views validate with
(`schemas.COMPONENTS`). It is OpenAPI 3.1 (JSON Schema nullability), while drf-spectacular's
/api/schema/ is 3.0, so the two documents stay separate.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from gateway_admin.surfaces.http import json_response

from .schemas import COMPONENTS, ref

ERRORS = {
    "400": "The request is malformed; `error.param` names the field.",
    "401": "Missing, unknown, revoked or expired API token.",
    "403": "The token may not use this model.",
    "404": "Unknown model (or object).",
    "413": "The request body is too large.",
    "429": "The token's requests-per-minute limit, or Vertex's quota, was reached; see Retry-After.",
    "500": "The gateway failed (a bug or a key that cannot be used); the error is logged.",
    "502": "Vertex answered with an error or could not be reached.",
    "503": "Vertex is unavailable.",
    "504": "Vertex did not answer in time.",
}
NO_MODEL_ERRORS = ("400", "401", "429", "500")


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _errors(codes: tuple[str, ...] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for code, text in ERRORS.items():
        if codes is not None and code not in codes:
            continue
        out[code] = {"description": text, "content": _json(ref("Error"))}
        if code == "429":
            out[code]["headers"] = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}}
    return out


def _operation(summary: str, op_id: str, *, request: str | None = None, ok: dict[str, Any], multipart: bool = False,
               extra: tuple[str, ...] = (), errors: tuple[str, ...] | None = None,
               parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "operationId": op_id,
        "tags": ["OpenAI-compatible gateway"],
        "security": [{"bearerAuth": []}],
        "responses": {"200": ok, **_errors(errors)},
    }
    for code in extra:
        operation["responses"][code] = {"description": "See the error message.", "content": _json(ref("Error"))}
    if parameters:
        operation["parameters"] = parameters
    if request is not None:
        content = _json(ref(request))
        if multipart:
            content["multipart/form-data"] = {"schema": ref(request)}
        operation["requestBody"] = {"required": True, "content": content}
    return operation


def _ok(schema: str, *, stream: bool = False) -> dict[str, Any]:
    content = _json(ref(schema))
    if stream:
        content["text/event-stream"] = {"schema": {"type": "string"},
                                        "description": "Server-sent events when `stream` is true."}
    return {"description": "OK", "content": content}


VIDEO_ID = {"name": "video_id", "in": "path", "required": True, "schema": {"type": "string"}}


def v1_paths() -> dict[str, Any]:
    return {
        "/v1/chat/completions": {"post": _operation(
            "Create a chat completion (stream with `stream: true`)", "v1_chat_completions",
            request="ChatCompletionRequest", ok=_ok("ChatCompletion", stream=True))},
        "/v1/responses": {"post": _operation(
            "Create a model response (Responses API; stream with `stream: true`)", "v1_responses",
            request="ResponsesRequest", ok=_ok("Response", stream=True))},
        "/v1/embeddings": {"post": _operation(
            "Create embeddings", "v1_embeddings", request="EmbeddingsRequest", ok=_ok("EmbeddingList"))},
        "/v1/models": {"get": _operation(
            "List the models this token may use", "v1_models_list", ok=_ok("ModelList"), errors=NO_MODEL_ERRORS)},
        "/v1/models/{model}": {"get": _operation(
            "Retrieve a model", "v1_models_retrieve", ok=_ok("Model"), errors=(*NO_MODEL_ERRORS, "404"),
            parameters=[{"name": "model", "in": "path", "required": True,
                         "schema": {"type": "string", "pattern": "\\S"}}])},
        "/v1/images/generations": {"post": _operation(
            "Generate images (Imagen, Gemini image models)", "v1_images_generations",
            request="ImageGenerationRequest", ok=_ok("ImagesResponse"))},
        "/v1/images/edits": {"post": _operation(
            "Edit an image (multipart upload)", "v1_images_edits", request="ImageEditRequest",
            ok=_ok("ImagesResponse"), multipart=True)},
        "/v1/videos": {"post": _operation(
            "Start a video generation (Veo)", "v1_videos_create", request="VideoCreateRequest",
            ok=_ok("Video"), multipart=True)},
        "/v1/videos/{video_id}": {"get": _operation(
            "Retrieve a video job", "v1_videos_retrieve", ok=_ok("Video"), errors=(*NO_MODEL_ERRORS, "404"),
            parameters=[VIDEO_ID])},
        "/v1/videos/{video_id}/content": {"get": _operation(
            "Download a finished video (MP4)", "v1_videos_content",
            ok={"description": "The video", "content": {"video/mp4": {"schema": {"type": "string",
                                                                                  "format": "binary"}}}},
            errors=(*NO_MODEL_ERRORS, "404"), extra=("409",),
            parameters=[VIDEO_ID, {"name": "variant", "in": "query", "required": False,
                                   "schema": {"type": "string", "enum": ["video"]}}])},
    }


SECURITY_SCHEMES = {"bearerAuth": {"type": "http", "scheme": "bearer", "description": "An API token (vga_...)"}}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Vertex Gateway Admin: OpenAI-compatible gateway",
            "version": "1.0.0",
            "description": "OpenAI-compatible access to the Vertex AI models configured in this product. "
                           "Errors are `{\"error\": {message, type, param, code}}`.",
        },
        "paths": v1_paths(),
        "components": {"schemas": COMPONENTS, "securitySchemes": SECURITY_SCHEMES},
    }


@csrf_exempt
async def openapi_json(request: HttpRequest) -> HttpResponse:
    return json_response(openapi_document())

