"""API tokens. The raw token appears once, in the create response."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gateway_admin.api.fields import StrictBooleanField, StrictCharField
from gateway_admin.api.serializers.keys import _StrictSerializer
from gateway_admin.models import ApiToken


class TokenSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True)
    active = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "user",
            "model_scopes",
            "rpm_limit",
            "tpm_limit",
            "log_bodies",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
            "active",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_active(self, token: ApiToken) -> bool:
        from django.utils import timezone

        return token.revoked_at is None and (token.expires_at is None or token.expires_at > timezone.now())

    def to_representation(self, instance: ApiToken) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["model_scopes"] = list(instance.model_scopes or [])
        return data


class TokenCreatedSerializer(TokenSerializer):
    token = serializers.SerializerMethodField(help_text="The raw token. Shown only in this response; store it now.")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "token"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_token(self, token: ApiToken) -> str:
        return self.context["raw_token"]


class TokenCreateSerializer(_StrictSerializer):
    name = StrictCharField(max_length=100)
    user = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        help_text="Username that owns the token; defaults to you.",
    )
    model_scopes = serializers.ListField(
        child=StrictCharField(max_length=128), required=False, default=list, help_text="Empty: every model."
    )
    rpm_limit = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=1_000_000)
    tpm_limit = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=1_000_000_000,
                                         help_text="Input + output tokens per minute; empty: no limit.")
    log_bodies = StrictBooleanField(required=False, default=False)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
