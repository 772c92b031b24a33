"""Keys in the seed's shape. Validation of the config is the service's (routing.config validators);
these serializers check the envelope and document the shapes for the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gateway_admin.api.fields import CredentialField, StrictBooleanField, StrictCharField
from gateway_admin.models import VertexKey
from gateway_admin.selectors.keys import key_stored_warnings
from gateway_admin.services.keys import CONFIG, key_config_dict, key_credential_summary

_ALIAS_MAP = serializers.DictField(child=serializers.CharField())


class KeyConfigOutputSerializer(serializers.Serializer):
    """vertex_key_config as stored: the seed shape without auth_credentials."""

    project_id = serializers.CharField()
    project_number = serializers.CharField(allow_blank=True)
    region = serializers.CharField()
    deployments = serializers.DictField(child=serializers.CharField(), help_text="alias -> target model id or endpoint id")
    deployment_regions = serializers.DictField(
        child=serializers.CharField(), help_text="alias -> region that overrides the key's region for it"
    )
    allowedModels = serializers.ListField(child=serializers.CharField())


class KeyConfigInputSerializer(serializers.Serializer):
    """vertex_key_config as the seed documents it. Unknown fields are refused."""

    project_id = serializers.CharField(help_text="GCP project id, e.g. my-project.")
    region = serializers.CharField(help_text='A Vertex region ("us-central1"), or "global", "us", "eu".')
    project_number = serializers.CharField(required=False, allow_blank=True, help_text="Digits; needed for tuned endpoints.")
    auth_credentials = CredentialField(
        required=False,
        write_only=True,
        help_text='Service-account key JSON as a string (or the JSON object itself); "" means Application '
        "Default Credentials. Write-only; leave it out on update to keep the stored credential.",
    )
    deployments = serializers.DictField(child=serializers.CharField(), required=False)
    deployment_regions = serializers.DictField(child=serializers.CharField(), required=False)
    allowedModels = serializers.ListField(child=serializers.CharField(), required=False)


class KeyConfigPatchSerializer(KeyConfigInputSerializer):
    project_id = serializers.CharField(required=False)
    region = serializers.CharField(required=False)


class CredentialSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["service_account", "application_default"])
    client_email = serializers.CharField(allow_blank=True)
    private_key_id = serializers.CharField(allow_blank=True)
    fingerprint = serializers.CharField(allow_blank=True)


@extend_schema_field(KeyConfigInputSerializer)
class _ConfigField(serializers.JSONField):
    """Passes the object through untouched; routing.config validates it as a whole."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError("Must be a JSON object (the seed's vertex_key_config).")
        return data


@extend_schema_field(KeyConfigPatchSerializer)
class _ConfigPatchField(_ConfigField):
    pass


class _StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, naming them."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields)) if isinstance(self.initial_data, dict) else []
        if unknown:
            raise serializers.ValidationError({field: ["Unknown field."] for field in unknown})
        return attrs


_FAILOVER_HELP = (
    "Where a call may go when the key's region answers 429/5xx: \"any\" (default: any region that serves "
    "the model, global first), \"geography\" (stay in the key's residency zone, for data residency) or "
    "\"off\" (never leave the key's region). A key setting, not part of vertex_key_config."
)


class KeyWriteSerializer(_StrictSerializer):
    name = StrictCharField(trim_whitespace=False, max_length=100)
    enabled = StrictBooleanField(required=False)
    weight = serializers.IntegerField(required=False, min_value=1, max_value=1000)
    region_failover = serializers.ChoiceField(
        choices=VertexKey.RegionFailover.choices, required=False, help_text=_FAILOVER_HELP
    )
    vertex_key_config = _ConfigField()


class KeyPatchSerializer(KeyWriteSerializer):
    name = StrictCharField(trim_whitespace=False, max_length=100, required=False)
    vertex_key_config = _ConfigPatchField(required=False)


class KeySerializer(serializers.ModelSerializer):
    """A key as the API emits it. Never carries the credential itself."""

    vertex_key_config = serializers.SerializerMethodField()
    credential = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = VertexKey
        fields = ["id", "name", "enabled", "weight", "region_failover", CONFIG, "credential", "warnings",
                  "created_at", "updated_at"]
        read_only_fields = fields
        extra_kwargs = {"region_failover": {"help_text": _FAILOVER_HELP}}

    @extend_schema_field(KeyConfigOutputSerializer)
    def get_vertex_key_config(self, key: VertexKey) -> dict[str, Any]:
        return key_config_dict(key)

    @extend_schema_field(CredentialSerializer)
    def get_credential(self, key: VertexKey) -> dict[str, str]:
        return key_credential_summary(key)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_warnings(self, key: VertexKey) -> list[str]:
        """Availability warnings: deployments whose model is not served in the key's region."""
        fresh = self.context.get("warnings")
        if fresh is not None:
            return list(fresh)
        return key_stored_warnings(key, catalog=self.context.get("catalog"))


class KeyExportSerializer(serializers.Serializer):
    """One import item; exactly what `keys/import/` accepts (auth_credentials left out)."""

    name = serializers.CharField()
    enabled = serializers.BooleanField()
    weight = serializers.IntegerField()
    region_failover = serializers.ChoiceField(choices=VertexKey.RegionFailover.choices, help_text=_FAILOVER_HELP)
    vertex_key_config = KeyConfigOutputSerializer()


class KeyImportItemSerializer(KeyWriteSerializer):
    pass
