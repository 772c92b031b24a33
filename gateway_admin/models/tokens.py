"""API tokens: stored hashed, owned by a user, optionally scoped to model ids and rate limited."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    # First characters of the token, shown so a user can tell tokens apart; not a secret.
    prefix = models.CharField(max_length=16, db_index=True)
    # sha256 hex of the whole token.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # Model ids this token may call on /v1; empty means every model.
    model_scopes = models.JSONField(default=list, blank=True)
    rpm_limit = models.PositiveIntegerField(null=True, blank=True)
    # Tokens (input + output) per minute, shared by every web process like rpm_limit.
    tpm_limit = models.PositiveIntegerField(null=True, blank=True)
    log_bodies = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A user tells their live tokens apart by name; a revoked token's name may be used again.
            models.UniqueConstraint(fields=["user", "name"], condition=models.Q(revoked_at__isnull=True),
                                    name="apitoken_unique_live_name_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
