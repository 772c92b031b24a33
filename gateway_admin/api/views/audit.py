"""Audit log (admins, read only)."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from gateway_admin.api.filters import AuditLogFilter
from gateway_admin.api.serializers.audit import AuditLogSerializer
from gateway_admin.models import AuditLog
from gateway_admin.permissions import IsAdminRole


@extend_schema_view(
    list=extend_schema(summary="List configuration changes", tags=["audit"]),
    retrieve=extend_schema(summary="Get one configuration change", tags=["audit"]),
)
class AuditLogViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AuditLogSerializer
    permission_classes = [IsAdminRole]
    # Digits only: anything else is a 404 before it reaches the database.
    lookup_value_regex = r"[0-9]{1,18}"
    filterset_class = AuditLogFilter
    search_fields = ["object_repr", "actor_label"]
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]

    def get_queryset(self) -> QuerySet[AuditLog]:
        return AuditLog.objects.order_by("-created_at", "-id")
