"""List filters of the config API (django-filter)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

from gateway_admin.models import ApiToken, AuditLog, VertexKey


class _PresentNotEmptyDateTimeField(django_filters.fields.IsoDateTimeField):
    def clean(self, value: Any) -> Any:
        if value == "":  # given but empty: the schema says date-time, so say so rather than ignore it
            raise forms.ValidationError("Give an ISO 8601 date-time, e.g. 2025-01-31T12:00:00Z.")
        return super().clean(value)


class _StrictBooleanFormField(forms.Field):
    widget = forms.TextInput

    def to_python(self, value: Any) -> bool | None:
        if value is None:
            return None  # not given
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError("Must be true or false.")


class StrictBooleanFilter(django_filters.BooleanFilter):
    """true/false only: django-filter's own also takes "null", "1", "" and ignores anything else."""

    field_class = _StrictBooleanFormField


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """ISO 8601 date-time, compared in UTC: PostgreSQL refuses offsets beyond +-15:59 that ISO allows."""

    field_class = _PresentNotEmptyDateTimeField

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
    enabled = StrictBooleanFilter()

    class Meta:
        model = VertexKey
        fields = ["name", "region", "project_id", "enabled"]


class TokenFilter(django_filters.FilterSet):
    user = django_filters.CharFilter(field_name="user__username", help_text="Owner's username.")
    revoked = StrictBooleanFilter(field_name="revoked_at", lookup_expr="isnull", exclude=True)

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


class _PresentNotEmptyChoiceField(django_filters.fields.ChoiceField):
    def clean(self, value: Any) -> Any:
        if value == "":  # given but empty: not one of the choices
            raise forms.ValidationError("Choose one of: " + ", ".join(str(c) for c, _ in self.choices if c) + ".")
        return super().clean(value)


class StrictChoiceFilter(django_filters.ChoiceFilter):
    field_class = _PresentNotEmptyChoiceField


class UserFilter(django_filters.FilterSet):
    role = StrictChoiceFilter(
        choices=[("admin", "admin"), ("developer", "developer")], method="filter_role"
    )
    is_active = StrictBooleanFilter()

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
