"""Audit log writes: who changed what, when. Credentials appear only as fingerprints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models

from gateway_admin.models import AuditLog

# Set by the bearer-token authentication on the request's user object so that a change made with
# an API token is labelled with the token prefix ("alice (token vga_ab12…)").
TOKEN_ATTR = "_gateway_api_token"


def actor_label(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "system"
    label = actor.get_username()
    token = getattr(actor, TOKEN_ATTR, None)
    if token is not None:
        label = f"{label} (token {token.prefix}…)"
    return label[:150]


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{"field": [old, new]} for every field whose value changed."""
    return {
        field: [old.get(field), new.get(field)]
        for field in sorted(set(old) | set(new))
        if old.get(field) != new.get(field)
    }


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: Mapping[str, Any] | None = None,
) -> AuditLog:
    """Write one audit row. Pass `obj` or the object_* fields. Never pass secrets in `changes`."""
    if obj is not None:
        object_type = object_type or obj._meta.model_name or ""
        object_id = object_id or str(obj.pk or "")
        object_repr = object_repr or str(obj)
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditLog.objects.create(
        actor=user,
        actor_label=actor_label(actor),
        action=action[:32],
        object_type=object_type[:64],
        object_id=object_id[:64],
        object_repr=object_repr[:200],
        changes=dict(changes or {}),
    )
