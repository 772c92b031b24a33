"""Shapes of the model-listing API (documentation of what the views return, and preview input)."""

from __future__ import annotations

from rest_framework import serializers

from gateway_admin.api.fields import StrictBooleanField
from gateway_admin.api.serializers.keys import _ConfigField, _StrictSerializer


class ModelEntrySerializer(serializers.Serializer):
    id = serializers.CharField(help_text="What a caller passes as `model` (alias, model id or endpoint id).")
    display_name = serializers.CharField()
    source = serializers.ChoiceField(choices=["custom", "deployment", "allowed"])
    target = serializers.CharField(help_text="What the router calls: a model id or a tuned endpoint id.")
    endpoint_id = serializers.CharField(allow_blank=True, help_text="Tuned endpoint id, or empty.")
    description = serializers.CharField(allow_blank=True)
    created = serializers.IntegerField(allow_null=True, help_text="Unix seconds, when Vertex reported it.")


class KeyHealthSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="Token minted and List Models answered 200 at the last check.")
    checked_at = serializers.DateTimeField()
    token_ok = serializers.BooleanField(allow_null=True)
    token_error = serializers.CharField(allow_blank=True)
    list_status = serializers.IntegerField(allow_null=True)
    list_latency_ms = serializers.FloatField(allow_null=True)
    last_success_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True)
    last_error_at = serializers.DateTimeField(allow_null=True)


class KeyListingSerializer(serializers.Serializer):
    key_id = serializers.IntegerField()
    key_name = serializers.CharField()
    enabled = serializers.BooleanField()
    project_id = serializers.CharField()
    region = serializers.CharField()
    entries = ModelEntrySerializer(many=True)
    count = serializers.IntegerField()
    fetched_at = serializers.DateTimeField(allow_null=True, help_text="Last successful refresh.")
    stale = serializers.BooleanField(help_text="The last refresh failed; `entries` are the last good ones.")
    last_error = serializers.CharField(allow_blank=True)
    last_error_at = serializers.DateTimeField(allow_null=True)
    refresh_requested_at = serializers.DateTimeField(allow_null=True)
    refresh_started_at = serializers.DateTimeField(allow_null=True)
    refreshing = serializers.BooleanField(help_text="A refresh was asked for and has not finished yet.")


class KeyListingWithHealthSerializer(KeyListingSerializer):
    health = KeyHealthSerializer(allow_null=True)


class MergedModelSerializer(ModelEntrySerializer):
    key_ids = serializers.ListField(child=serializers.IntegerField())
    key_names = serializers.ListField(child=serializers.CharField())


class AllModelsSerializer(serializers.Serializer):
    keys = KeyListingWithHealthSerializer(many=True, help_text="Every key's listing, by key name.")
    models = MergedModelSerializer(
        many=True, help_text="One entry per model id over the enabled keys (what /v1/models lists)."
    )


class PreviewRequestSerializer(_StrictSerializer):
    vertex_key_config = _ConfigField(help_text="The unsaved configuration, in the seed's vertex_key_config shape.")
    key_id = serializers.IntegerField(
        required=False, allow_null=True,
        help_text="The saved key being edited: its stored custom models (and credential, for fetch_custom) are used.",
    )
    fetch_custom = StrictBooleanField(
        default=False,
        help_text="Call Vertex List Models now (with the config's auth_credentials, else the saved key's).",
    )


class PreviewResponseSerializer(serializers.Serializer):
    entries = ModelEntrySerializer(many=True)
    count = serializers.IntegerField()
    custom_models = serializers.ChoiceField(
        choices=["none", "stored", "live"], help_text="Where the custom models in `entries` came from."
    )
    custom_error = serializers.CharField(allow_blank=True, help_text="Why live custom models are missing.")
