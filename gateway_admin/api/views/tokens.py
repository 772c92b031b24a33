"""API tokens: list, create (raw token shown once), revoke.

Admins see and manage every token; developers only their own, and create them only within the
rules of `services.tokens.api_token_create` (scoped, no body logging)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from gateway_admin.api.filters import TokenFilter
from gateway_admin.api.serializers.tokens import (
    TokenCreatedSerializer,
    TokenCreateSerializer,
    TokenSerializer,
)
from gateway_admin.models import ApiToken
from gateway_admin.permissions import IsDeveloperRole, is_admin
from gateway_admin.services.tokens import api_token_create, api_token_revoke


@extend_schema_view(
    list=extend_schema(summary="List API tokens", tags=["tokens"]),
    retrieve=extend_schema(summary="Get an API token (never the token itself)", tags=["tokens"]),
    create=extend_schema(
        summary="Create an API token; the response carries the raw token once",
        tags=["tokens"],
        request=TokenCreateSerializer,
        responses={201: TokenCreatedSerializer},
    ),
)
class TokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = TokenSerializer
    permission_classes = [IsDeveloperRole]
    # Digits only: anything else is a 404 before it reaches the database.
    lookup_value_regex = r"[0-9]{1,18}"
    filterset_class = TokenFilter
    search_fields = ["name", "prefix", "user__username"]
    ordering_fields = ["created_at", "last_used_at", "name"]
    ordering = ["-created_at"]

    def get_queryset(self) -> QuerySet[ApiToken]:
        tokens = ApiToken.objects.select_related("user").order_by("-created_at")
        if getattr(self, "swagger_fake_view", False) or is_admin(self.request.user):
            return tokens
        return tokens.filter(user=self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = TokenCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        token, raw = api_token_create(
            actor=request.user,
            user=data.get("user") or request.user,
            name=data["name"],
            model_scopes=data.get("model_scopes") or (),
            rpm_limit=data.get("rpm_limit"),
            tpm_limit=data.get("tpm_limit"),
            log_bodies=data.get("log_bodies", False),
            expires_at=data.get("expires_at"),
        )
        payload = TokenCreatedSerializer(token, context={"raw_token": raw}).data
        return Response(payload, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

    @extend_schema(summary="Revoke an API token", tags=["tokens"], request=None, responses={200: TokenSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        token = api_token_revoke(actor=request.user, token=self.get_object())
        return Response(TokenSerializer(token).data)
