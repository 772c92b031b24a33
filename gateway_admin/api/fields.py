"""Serializer fields for the config API's inputs."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A CharField that takes only a JSON string: DRF's own turns `5` into "5" and `true` into "True"."""

    default_error_messages = {"not_a_string": "Must be a JSON string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A BooleanField that takes only JSON true/false: DRF's own also takes 0, 1, "yes", "on"..."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if data is True or data is False:
            return data
        self.fail("invalid")
        raise AssertionError  # pragma: no cover - fail() raises


@extend_schema_field({"oneOf": [
    {"type": "string", "description": 'The key file\'s JSON as a string; "" for Application Default Credentials.'},
    {"type": "object", "description": "The key file's JSON object itself.", "additionalProperties": True},
]})
class CredentialField(serializers.JSONField):
    """auth_credentials in the schema: the key file as a JSON string (the seed's shape) or as the object."""
