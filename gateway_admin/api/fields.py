"""Serializer fields for the config API's inputs."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A CharField that takes only a JSON string: DRF's own turns `5` into "5" and `true` into "True"."""

    default_error_messages = {"not_a_string": "Must be a JSON string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)
