"""List filters of the config API (django-filter)."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model

from gateway_admin.models import ApiToken, AuditLog, VertexKey


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
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

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
