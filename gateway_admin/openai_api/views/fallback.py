"""Unknown /v1 paths answer in the OpenAI error format, not with Django's HTML 404 page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from gateway_admin.pipeline.errors import GatewayError

from ..errors import error_response


@csrf_exempt
async def unknown_path(request: HttpRequest) -> HttpResponse:
    return error_response(GatewayError(404, f"Unknown path {request.method} {request.path}.", code="unknown_url"))
