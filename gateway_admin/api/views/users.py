"""Users and roles (admins): list, create, change role/active/email/password."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from gateway_admin.api.filters import UserFilter
from gateway_admin.api.serializers.users import UserCreateSerializer, UserSerializer, UserUpdateSerializer
from gateway_admin.permissions import IsAdminRole
from gateway_admin.services.users import user_create, user_update

User = get_user_model()


@extend_schema_view(
    list=extend_schema(summary="List users", tags=["users"]),
    retrieve=extend_schema(summary="Get a user", tags=["users"]),
    create=extend_schema(
        summary="Create a user with a role", tags=["users"], request=UserCreateSerializer, responses={201: UserSerializer}
    ),
    partial_update=extend_schema(
        summary="Change a user's role, active flag, email or password",
        tags=["users"],
        request=UserUpdateSerializer,
        responses={200: UserSerializer},
    ),
)
class UserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = UserSerializer
    permission_classes = [IsAdminRole]
    # Digits only: anything else is a 404 before it reaches the database.
    lookup_value_regex = r"[0-9]{1,18}"
    filterset_class = UserFilter
    search_fields = ["username", "email"]
    ordering_fields = ["username", "date_joined", "last_login"]
    ordering = ["username"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        return User.objects.prefetch_related("groups").order_by("username").distinct()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = UserCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = user_create(actor=request.user, **body.validated_data)
        return Response(UserSerializer(User.objects.get(pk=user.pk)).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = self.get_object()
        body = UserUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        clear_role = "role" in data and data["role"] is None
        user = user_update(
            actor=request.user,
            user=user,
            role=data.get("role"),
            clear_role=clear_role,
            is_active=data.get("is_active"),
            email=data.get("email"),
            password=data.get("password"),
        )
        return Response(UserSerializer(User.objects.get(pk=user.pk)).data)
