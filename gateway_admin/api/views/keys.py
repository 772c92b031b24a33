"""Vertex keys: CRUD, import, export. Admins only (developers read model lists elsewhere)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from gateway_admin import routing_config
from gateway_admin.api.filters import KeyFilter
from gateway_admin.api.serializers.keys import (
    KeyExportSerializer,
    KeyImportItemSerializer,
    KeyPatchSerializer,
    KeySerializer,
    KeyWriteSerializer,
)
from gateway_admin.models import VertexKey
from gateway_admin.permissions import IsAdminRole
from gateway_admin.selectors.keys import key_list
from gateway_admin.services.errors import ServiceValidationError
from gateway_admin.services.keys import key_create, key_delete, key_export, key_update, keys_import
from routing.residency import DEFAULT_REGION_FAILOVER

_EXAMPLE = OpenApiExample(
    "Gemini and Claude on one key",
    value={
        "name": "prod-us",
        "vertex_key_config": {
            "project_id": "my-project",
            "region": "us-central1",
            "auth_credentials": "",  # or the service-account key file's JSON; "" is Application Default Credentials
            "deployments": {"gemini-2.0-flash": "gemini-2.0-flash", "claude-sonnet-4-5": "claude-sonnet-4-5@20250929"},
            "allowedModels": [],
        },
    },
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(summary="List keys", tags=["keys"]),
    retrieve=extend_schema(summary="Get a key", tags=["keys"]),
    create=extend_schema(
        summary="Create a key", tags=["keys"], request=KeyWriteSerializer, responses={201: KeySerializer}, examples=[_EXAMPLE]
    ),
    update=extend_schema(
        summary="Replace a key (auth_credentials left out: the stored credential is kept)",
        tags=["keys"],
        request=KeyWriteSerializer,
        responses={200: KeySerializer},
    ),
    partial_update=extend_schema(
        summary="Change some fields of a key", tags=["keys"], request=KeyPatchSerializer, responses={200: KeySerializer}
    ),
    destroy=extend_schema(summary="Delete a key", tags=["keys"]),
)
class KeyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = KeySerializer
    permission_classes = [IsAdminRole]
    # Digits only: anything else is a 404 before it reaches the database.
    lookup_value_regex = r"[0-9]{1,18}"
    filterset_class = KeyFilter
    search_fields = ["name", "project_id"]
    ordering_fields = ["name", "created_at", "updated_at", "weight"]
    ordering = ["name"]

    def get_queryset(self) -> QuerySet[VertexKey]:
        return key_list()

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        # One catalog read per request, not per key.
        context["catalog"] = routing_config.catalog()
        return context

    def _respond(self, key: VertexKey, warnings: list[str], code: int) -> Response:
        fresh = key_list().get(pk=key.pk)
        return Response(KeySerializer(fresh, context={"warnings": warnings}).data, status=code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = KeyWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        key, warnings = key_create(
            actor=request.user,
            name=data["name"],
            config=data["vertex_key_config"],
            enabled=data.get("enabled", True),
            weight=data.get("weight", 1),
            region_failover=data.get("region_failover", DEFAULT_REGION_FAILOVER),
        )
        return self._respond(key, warnings, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        key = self.get_object()
        body = (KeyPatchSerializer if partial else KeyWriteSerializer)(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        key, warnings = key_update(
            actor=request.user,
            key=key,
            name=data.get("name"),
            config=data.get("vertex_key_config"),
            partial=partial,
            enabled=data.get("enabled"),
            weight=data.get("weight"),
            region_failover=data.get("region_failover"),
        )
        return self._respond(key, warnings, status.HTTP_200_OK)

    def perform_destroy(self, instance: VertexKey) -> None:
        key_delete(actor=self.request.user, key=instance)

    @extend_schema(
        summary="Import keys (all or nothing; an existing name is updated)",
        tags=["keys"],
        request=KeyImportItemSerializer(many=True, min_length=1),
        responses={200: KeySerializer(many=True)},
        description='Errors name the item and field, e.g. "[2].vertex_key_config.region".',
    )
    @action(detail=False, methods=["post"], url_path="import", filter_backends=[], pagination_class=None)
    def import_keys(self, request: Request) -> Response:
        items = request.data
        if not isinstance(items, list):
            raise ServiceValidationError({"body": ["Send a JSON list of keys, each like an export."]})
        keys = keys_import(actor=request.user, items=items)
        fresh = key_list().filter(pk__in=[k.pk for k in keys])
        by_pk = {k.pk: k for k in fresh}
        context = {"catalog": routing_config.catalog()}
        return Response([KeySerializer(by_pk[k.pk], context=context).data for k in keys])

    @extend_schema(summary="Export a key in the seed's shape (no auth_credentials)", tags=["keys"], responses=KeyExportSerializer)
    @action(detail=True, methods=["get"], filter_backends=[])
    def export(self, request: Request, pk: str | None = None) -> Response:
        return Response(key_export(key=self.get_object()))
