"""GET /v1/models and GET /v1/models/{id}: the merged model list, limited to the token's scopes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase

from gateway_admin.pipeline import GatewayCall, models_for
from gateway_admin.pipeline.errors import model_not_found
from gateway_admin.pipeline.state import normalise_model_id

from .base import answer, v1_endpoint


@v1_endpoint("models", methods=("GET",))
async def model_list(request: HttpRequest, call: GatewayCall) -> HttpResponseBase:
    models = await models_for(call.caller.token)
    return await answer(call, {"object": "list", "data": models})


@v1_endpoint("models", methods=("GET",))
async def model_detail(request: HttpRequest, call: GatewayCall, model: str) -> HttpResponseBase:
    model_id = normalise_model_id(model)
    call.model = model_id
    for entry in await models_for(call.caller.token):
        if entry["id"] == model_id:
            return await answer(call, entry)
    raise model_not_found(model_id)
