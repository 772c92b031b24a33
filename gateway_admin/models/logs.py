"""Request log (playground and /v1 calls) and audit log (configuration changes)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RequestLog(models.Model):
    class Source(models.TextChoices):
        API = "api", "API"
        PLAYGROUND = "playground", "Playground"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.API)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    token = models.ForeignKey("gateway_admin.ApiToken", null=True, blank=True, on_delete=models.SET_NULL)
    operation = models.CharField(max_length=32, default="chat")  # chat|responses|embeddings|images|videos
    model = models.CharField(max_length=128, db_index=True)
    key = models.ForeignKey("gateway_admin.VertexKey", null=True, blank=True, on_delete=models.SET_NULL)
    key_name = models.CharField(max_length=100, blank=True, default="")
    region = models.CharField(max_length=40, blank=True, default="")
    host = models.CharField(max_length=255, blank=True, default="")
    target = models.CharField(max_length=128, blank=True, default="")
    stream = models.BooleanField(default=False)
    status = models.PositiveIntegerField(db_index=True)
    error_type = models.CharField(max_length=64, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    latency_ms = models.FloatField(null=True, blank=True)
    ttft_ms = models.FloatField(null=True, blank=True)
    input_tokens = models.PositiveIntegerField(null=True, blank=True)
    output_tokens = models.PositiveIntegerField(null=True, blank=True)
    cache_read_tokens = models.PositiveIntegerField(null=True, blank=True)
    cache_write_tokens = models.PositiveIntegerField(null=True, blank=True)
    # None: the model has no price (counted in tokens, shown as "no price", never as $0).
    cost_usd = models.DecimalField(max_digits=18, decimal_places=9, null=True, blank=True)
    price_version = models.CharField(max_length=64, blank=True, default="")  # "table:<date>" | "override:<id>"
    surface = models.CharField(max_length=16, blank=True, default="")  # openai|anthropic|vertex|playground
    betas_dropped = models.JSONField(default=list, blank=True)  # anthropic-beta values not sent upstream
    attempts = models.PositiveIntegerField(default=1)
    failovers = models.PositiveIntegerField(default=0)
    route = models.JSONField(default=list, blank=True)  # every attempt: key, region, host, status, latency
    request_body = models.JSONField(null=True, blank=True)  # only with body logging on
    response_body = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.model} {self.status}"


class AuditLog(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=150, blank=True, default="")  # "alice" or "alice (token ab12…)"
    action = models.CharField(max_length=32)  # create|update|delete|import|rotate|...
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, blank=True, default="")
    object_repr = models.CharField(max_length=200, blank=True, default="")
    # {"field": [old, new]}; credentials appear only as fingerprints.
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_repr}"
