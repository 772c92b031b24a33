"""Stored model listings and key health, refreshed by Celery."""

from __future__ import annotations

from django.db import models

from .keys import VertexKey


class ModelListing(models.Model):
    """The merged model list of one key (seed 003 rules), as last fetched.

    When a refresh fails the last good `entries` stay and `stale` is set with the error.
    """

    key = models.OneToOneField(VertexKey, on_delete=models.CASCADE, related_name="listing")
    # [{id, display_name, source: custom|deployment|allowed, target, endpoint_id, description, created}]
    entries = models.JSONField(default=list, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    stale = models.BooleanField(default=False)
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    refresh_requested_at = models.DateTimeField(null=True, blank=True)
    refresh_started_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"models of {self.key_id}"


class KeyHealth(models.Model):
    """What the periodic check and live traffic last saw of a key."""

    key = models.OneToOneField(VertexKey, on_delete=models.CASCADE, related_name="health")
    checked_at = models.DateTimeField(null=True, blank=True)
    token_ok = models.BooleanField(null=True)
    token_minted_at = models.DateTimeField(null=True, blank=True)
    token_error = models.TextField(blank=True, default="")
    list_status = models.PositiveIntegerField(null=True, blank=True)
    list_latency_ms = models.FloatField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"health of {self.key_id}"
