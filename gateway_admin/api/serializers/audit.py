"""Audit log rows (read only)."""

from __future__ import annotations

from rest_framework import serializers

from gateway_admin.models import AuditLog


class AuditLogSerializer(serializers.ModelSerializer):
    changes = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField(allow_null=True), min_length=2, max_length=2),
        help_text='{"field": [old, new]}; a credential appears only as its fingerprint.',
    )

    class Meta:
        model = AuditLog
        fields = ["id", "created_at", "actor_label", "action", "object_type", "object_id", "object_repr", "changes"]
        read_only_fields = fields
