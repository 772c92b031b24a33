"""GET /v1/models and GET /v1/models/{id}: the merged model list, limited to the token's scopes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase

from gateway_admin.services.gateway import models_for_token, normalise_model_id

from ..errors import model_not_found
from .base import Call, answer, v1_endpoint


@v1_endpoint("models", methods=("GET",))
async def model_list(request: HttpRequest, call: Call) -> HttpResponseBase:
    models = await models_for_token(call.token)  # type: ignore[arg-type]
    return answer({"object": "list", "data": models})


@v1_endpoint("models", methods=("GET",))
async def model_detail(request: HttpRequest, call: Call, model: str) -> HttpResponseBase:
    model_id = normalise_model_id(model)
    call.model = model_id
    for entry in await models_for_token(call.token):  # type: ignore[arg-type]
        if entry["id"] == model_id:
            return answer(entry)
    raise model_not_found(model_id)
