"""API tokens: random, shown once, stored as a sha256 hash with a short display prefix."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from gateway_admin.models import ApiToken
from gateway_admin.permissions import is_admin, user_role
from gateway_admin.services.audit import audit_record
from gateway_admin.services.errors import ServiceValidationError

TOKEN_PREFIX = "vga_"
# 32 random bytes -> 43 url-safe characters.
TOKEN_BYTES = 32
DISPLAY_PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
# last_used_at is a hint for admins; writing it on every request would cost a write per call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _clean_scopes(model_scopes: Iterable[str]) -> list[str]:
    scopes: list[str] = []
    for position, scope in enumerate(model_scopes):
        if not isinstance(scope, str) or not scope or scope != scope.strip() or len(scope) > 128:
            raise ServiceValidationError(
                {f"model_scopes[{position}]": ["Each scope must be a model id without spaces."]}
            )
        if scope not in scopes:
            scopes.append(scope)
    return scopes


@transaction.atomic
def api_token_create(
    *,
    user: Any,
    name: str,
    model_scopes: Iterable[str] = (),
    rpm_limit: int | None = None,
    log_bodies: bool = False,
    expires_at: datetime | None = None,
    actor: Any = None,
) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns (row, raw token). The raw token is never stored.

    Who may create what (the pages and the API alike): an admin anything; anyone else only a token
    of their own, scoped to models the gateway serves, without body logging (PermissionDenied for
    another user's token, ServiceValidationError naming the field otherwise). No actor is the
    operator at the server (`manage.py create_api_token`), who may do what an admin may."""
    admin = actor is None or is_admin(actor)
    actor = actor if actor is not None else user
    errors: dict[str, list[str]] = {}
    if not admin and getattr(user, "pk", None) != getattr(actor, "pk", None):
        raise PermissionDenied("Only admins create tokens for other users.")
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Give the token a name."]
    elif len(name) > 100:
        errors["name"] = ["At most 100 characters."]
    if rpm_limit is not None and (isinstance(rpm_limit, bool) or not isinstance(rpm_limit, int) or rpm_limit < 1):
        errors["rpm_limit"] = ["A positive whole number of requests per minute, or empty for no limit."]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = ["The expiry must be in the future."]
    try:
        scopes = _clean_scopes(model_scopes)
    except ServiceValidationError as exc:
        errors.update(exc.errors)
        scopes = []
    if not admin:
        if log_bodies:
            errors["log_bodies"] = ["Only admins create tokens that log request and response bodies."]
        if not scopes and "model_scopes" not in errors and not any(k.startswith("model_scopes[") for k in errors):
            errors["model_scopes"] = ["Name the models this token may call (only admins create tokens for every model)."]
        served = _served_models()
        for position, scope in enumerate(scopes):
            if scope.removeprefix("vertex/") not in served:
                errors[f"model_scopes[{position}]"] = [f"{scope} is not a model this gateway serves."]
    if errors:
        raise ServiceValidationError(errors)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:DISPLAY_PREFIX_LENGTH],
        token_hash=token_hash(raw),
        model_scopes=scopes,
        rpm_limit=rpm_limit,
        log_bodies=log_bodies,
        expires_at=expires_at,
    )
    audit_record(
        actor=actor,
        action="create",
        obj=token,
        changes={"user": [None, user.get_username()], "model_scopes": [None, scopes], "rpm_limit": [None, rpm_limit]},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """Revoke a token (idempotent). The row stays so request logs keep their reference.

    /v1 in this process refuses the token at once: its per-process authentication cache forgets it
    now and again after the commit (a call in between could have cached the not yet revoked row).
    Other web processes keep a cached token for at most GATEWAY_TOKEN_CACHE_SECONDS.
    """
    if not is_admin(actor) and token.user_id != getattr(actor, "pk", None):
        raise PermissionDenied("Only admins revoke other users' tokens.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="revoke", obj=token)
    _forget(token.token_hash)
    return token


def _served_models() -> set[str]:
    from gateway_admin.selectors.models import models_for_v1

    return {entry["id"] for entry in models_for_v1()}


def api_tokens_forget_for_user(*, user: Any) -> None:
    """After a user's role or active flag changed: this process's /v1 forgets their tokens at once
    (now and after the commit), so the next call is checked against the new role."""
    for digest in ApiToken.objects.filter(user=user).values_list("token_hash", flat=True):
        _forget(digest)


def _forget(digest: str) -> None:
    from gateway_admin.openai_api.auth import forget_token

    forget_token(digest)
    transaction.on_commit(lambda: forget_token(digest))


def api_token_authenticate(raw: str | None) -> ApiToken | None:
    """The live token matching `raw` whose owner is active and has a role (with its user), or None. Sync; wrap with sync_to_async in async code."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=token_hash(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or user_role(token.user) is None:
        return None  # inactive, or no role any more: a token carries its owner's role
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
