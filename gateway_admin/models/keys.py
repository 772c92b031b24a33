"""Vertex AI keys (one `vertex_key_config` each), their deployments and allowed models."""

from __future__ import annotations

from django.db import models


class VertexKey(models.Model):
    """One `vertex_key_config`: a GCP project + region + service-account credential.

    `region_failover` is not part of the seed's vertex_key_config: it is the key's own routing
    setting (routing.residency) beside name/enabled/weight, saying where a call may go when the
    key's region answers 429/5xx.
    """

    class RegionFailover(models.TextChoices):
        # The design contract's availability-first default: `global` first where served there.
        ANY = "any", "Any region that serves the model (global first)"
        # For data residency: e.g. europe-west4 may go to europe-west1 but never to global or London.
        GEOGRAPHY = "geography", "Stay in the key's residency zone"
        OFF = "off", "Never leave the key's region"

    name = models.CharField(max_length=100, unique=True)
    project_id = models.CharField(max_length=30)
    project_number = models.CharField(max_length=20, blank=True, default="")
    region = models.CharField(max_length=40)
    # Fernet token (MultiFernet, CREDENTIAL_KEYS) of the service-account JSON; "" means ADC.
    # Never read this directly: use gateway_admin.crypto / services.
    credentials_encrypted = models.TextField(blank=True, default="", editable=False)
    credential_fingerprint = models.CharField(max_length=64, blank=True, default="", editable=False)
    credential_client_email = models.CharField(max_length=254, blank=True, default="", editable=False)
    credential_private_key_id = models.CharField(max_length=64, blank=True, default="", editable=False)
    enabled = models.BooleanField(default=True)
    weight = models.PositiveIntegerField(default=1)
    region_failover = models.CharField(max_length=16, choices=RegionFailover.choices, default=RegionFailover.ANY)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def uses_default_credentials(self) -> bool:
        return not self.credentials_encrypted


class Deployment(models.Model):
    """alias -> target (a publisher model id, a partner `publisher/model`, or a tuned endpoint id)."""

    key = models.ForeignKey(VertexKey, on_delete=models.CASCADE, related_name="deployments")
    alias = models.CharField(max_length=128)
    target = models.CharField(max_length=128)
    # Like Claude Code's VERTEX_REGION_<MODEL>: wins over the key's region for this alias.
    region_override = models.CharField(max_length=40, blank=True, default="")
    enabled = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["key_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["key", "alias"], name="deployment_alias_unique_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.alias} -> {self.target}"


class AllowedModel(models.Model):
    """One `allowedModels` entry; order is kept as the admin wrote it."""

    key = models.ForeignKey(VertexKey, on_delete=models.CASCADE, related_name="allowed_models")
    model_id = models.CharField(max_length=128)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["key_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["key", "model_id"], name="allowed_model_unique_per_key")
        ]

    def __str__(self) -> str:
        return self.model_id


class AvailabilityOverride(models.Model):
    """An admin's correction of the seed-built availability catalog (model x region)."""

    model_id = models.CharField(max_length=128)
    region = models.CharField(max_length=40)
    served = models.BooleanField()
    note = models.CharField(max_length=255, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["model_id", "region"]
        constraints = [
            models.UniqueConstraint(fields=["model_id", "region"], name="availability_override_unique")
        ]

    def __str__(self) -> str:
        return f"{self.model_id}@{self.region}: {'served' if self.served else 'not served'}"
