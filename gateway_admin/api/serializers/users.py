"""Users and their role."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gateway_admin.api.fields import StrictBooleanField, StrictCharField
from gateway_admin.api.serializers.keys import _StrictSerializer
from gateway_admin.permissions import ROLE_ADMIN, ROLE_DEVELOPER, ROLES

User = get_user_model()


class UserSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField()
    # A plain string: the address may be empty, which an "email" format would refuse.
    email = serializers.CharField(read_only=True, help_text="Email address; may be empty.")

    class Meta:
        model = User
        fields = ["id", "username", "email", "role", "is_active", "is_superuser", "date_joined", "last_login"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=list(ROLES), allow_null=True))
    def get_role(self, user: Any) -> str | None:
        # Shown for inactive users too, so an admin sees what re-activating would grant.
        if user.is_superuser:
            return ROLE_ADMIN
        names = {group.name for group in user.groups.all()}
        return ROLE_ADMIN if ROLE_ADMIN in names else ROLE_DEVELOPER if ROLE_DEVELOPER in names else None


class UserCreateSerializer(_StrictSerializer):
    username = StrictCharField(max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    password = StrictCharField(write_only=True, style={"input_type": "password"}, trim_whitespace=False)
    role = serializers.ChoiceField(choices=list(ROLES))


class UserUpdateSerializer(_StrictSerializer):
    email = serializers.EmailField(required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=list(ROLES), required=False, allow_null=True)
    is_active = StrictBooleanField(required=False)
    password = StrictCharField(write_only=True, required=False, trim_whitespace=False)
