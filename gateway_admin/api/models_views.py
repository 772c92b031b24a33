"""Model-listing API: thin views over selectors.models and services.listings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gateway_admin.api.models_serializers import (
    AllModelsSerializer,
    KeyListingSerializer,
    PreviewRequestSerializer,
    PreviewResponseSerializer,
)
from gateway_admin.models import VertexKey
from gateway_admin.permissions import IsAdminRole, IsDeveloperRole
from gateway_admin.selectors.models import merge_across_keys, models_all, models_for_key
from gateway_admin.services.listings import listing_refresh_enqueue, models_preview

TAGS = ["models"]


class FastJSONRenderer(JSONRenderer):
    """orjson: listings of thousands of entries serialise several times faster than with json."""

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: Mapping[str, Any] | None = None) -> bytes:
        return b"" if data is None else orjson.dumps(data, default=str)


class ModelsAPIView(APIView):
    renderer_classes = [FastJSONRenderer]


class KeyModelsView(ModelsAPIView):
    permission_classes = [IsAuthenticated, IsDeveloperRole]

    @extend_schema(summary="A key's merged model list", tags=TAGS, responses={200: KeyListingSerializer})
    def get(self, request: Request, pk: int) -> Response:
        key = get_object_or_404(VertexKey.objects.select_related("listing"), pk=pk)
        return Response(models_for_key(key=key))


class KeyModelsRefreshView(ModelsAPIView):
    # Developers too (as on the Models page): a refresh only re-reads Vertex, it changes no configuration.
    permission_classes = [IsAuthenticated, IsDeveloperRole]

    @extend_schema(
        summary="Refresh a key's model list",
        description="Developers and admins. Asks for a refresh (a Celery task; in process without a broker) "
        "and answers with the listing's state at once: `refreshing` while a worker is on it. A refresh "
        "only re-reads Vertex; it changes no configuration.",
        tags=TAGS,
        request=None,
        responses={202: KeyListingSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        key = get_object_or_404(VertexKey, pk=pk)
        listing_refresh_enqueue(key_id=key.pk)
        # Read again: without a broker the refresh has already run.
        return Response(models_for_key(key=key), status=status.HTTP_202_ACCEPTED)


class AllModelsView(ModelsAPIView):
    permission_classes = [IsAuthenticated, IsDeveloperRole]

    @extend_schema(summary="Every key's model list, and the models merged across enabled keys", tags=TAGS,
                   responses={200: AllModelsSerializer})
    def get(self, request: Request) -> Response:
        keys = models_all()
        return Response({"keys": keys, "models": merge_across_keys([k for k in keys if k["enabled"]])})


class PreviewModelsView(ModelsAPIView):
    permission_classes = [IsAuthenticated, IsAdminRole]

    @extend_schema(
        summary="Preview the model list of an unsaved configuration",
        description="Nothing is saved. Without `fetch_custom` Vertex is not called: custom models come from "
        "the saved key `key_id` if given, else none.",
        tags=TAGS,
        request=PreviewRequestSerializer,
        responses={200: PreviewResponseSerializer},
        examples=[
            OpenApiExample(
                "allowedModels restricting deployments",
                request_only=True,
                value={"vertex_key_config": {
                    "project_id": "my-project", "region": "us-central1",
                    "deployments": {"gemini-2.0-flash": "gemini-2.0-flash", "gemini-2.5-pro": "gemini-2.5-pro"},
                    "allowedModels": ["gemini-2.0-flash"]}},
            )
        ],
    )
    def post(self, request: Request) -> Response:
        body = PreviewRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        preview = models_preview(
            config=data["vertex_key_config"], key_id=data.get("key_id"), fetch_custom=data["fetch_custom"]
        )
        return Response(preview)
