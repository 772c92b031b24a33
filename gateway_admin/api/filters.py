"""List filters of the config API (django-filter)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

from gateway_admin.models import ApiToken, AuditLog, VertexKey


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """ISO 8601 date-time, compared in UTC: PostgreSQL refuses offsets beyond +-15:59 that ISO allows."""

    def filter(self, qs: Any, value: Any) -> Any:
        if value is not None:
            try:
                value = value.astimezone(UTC)
            except (OverflowError, ValueError) as exc:
                raise ValidationError({self.field_name: ["Out of the supported date range."]}) from exc
        return super().filter(qs, value)


class KeyFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", help_text="Part of the key name.")
    region = django_filters.CharFilter(help_text="Exact region, e.g. us-central1.")
    project_id = django_filters.CharFilter()
    enabled = django_filters.BooleanFilter()

    class Meta:
        model = VertexKey
        fields = ["name", "region", "project_id", "enabled"]


class TokenFilter(django_filters.FilterSet):
    user = django_filters.CharFilter(field_name="user__username", help_text="Owner's username.")
    revoked = django_filters.BooleanFilter(field_name="revoked_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = ApiToken
        fields = ["user", "revoked"]


class AuditLogFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor__username")
    action = django_filters.CharFilter()
    object_type = django_filters.CharFilter()
    object_id = django_filters.CharFilter()
    since = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditLog
        fields = ["actor", "action", "object_type", "object_id", "since", "until"]


class UserFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(
        choices=[("admin", "admin"), ("developer", "developer")], method="filter_role"
    )
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = get_user_model()
        fields = ["role", "is_active"]

    def filter_role(self, queryset, name, value):  # type: ignore[no-untyped-def]
        if value == "admin":
            return queryset.filter(is_superuser=True) | queryset.filter(groups__name="admin")
        return queryset.filter(groups__name="developer").exclude(groups__name="admin").exclude(is_superuser=True)


class RejectNulBytes(BaseFilterBackend):
    """A query parameter holding a NUL byte is a 400 naming it (PostgreSQL text cannot store NUL, so it
    would otherwise surface as a server error from the database)."""

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        bad = sorted(
            name for name, values in request.query_params.lists() if "\x00" in name or any("\x00" in v for v in values)
        )
        if bad:
            raise ValidationError({name.replace("\x00", "\\x00"): ["Must not contain NUL characters."] for name in bad})
        return queryset
