"""API tokens: random, shown once, stored as a sha256 hash with a short display prefix."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from gateway_admin.models import ApiToken
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
    tpm_limit: int | None = None,
    log_bodies: bool = False,
    expires_at: datetime | None = None,
    actor: Any = None,
) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns (row, raw token). The raw token is never stored."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Give the token a name."]
    elif len(name) > 100:
        errors["name"] = ["At most 100 characters."]
    if rpm_limit is not None and (isinstance(rpm_limit, bool) or not isinstance(rpm_limit, int) or rpm_limit < 1):
        errors["rpm_limit"] = ["A positive whole number of requests per minute, or empty for no limit."]
    if tpm_limit is not None and (isinstance(tpm_limit, bool) or not isinstance(tpm_limit, int) or tpm_limit < 1):
        errors["tpm_limit"] = ["A positive whole number of tokens per minute, or empty for no limit."]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = ["The expiry must be in the future."]
    try:
        scopes = _clean_scopes(model_scopes)
    except ServiceValidationError as exc:
        errors.update(exc.errors)
        scopes = []
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
        tpm_limit=tpm_limit,
        log_bodies=log_bodies,
        expires_at=expires_at,
    )
    audit_record(
        actor=actor if actor is not None else user,
        action="create",
        obj=token,
        changes={"user": [None, user.get_username()], "model_scopes": [None, scopes], "rpm_limit": [None, rpm_limit],
                 "tpm_limit": [None, tpm_limit]},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """Revoke a token (idempotent). The row stays so request logs keep their reference.

    /v1 in this process refuses the token at once: its per-process authentication cache forgets it
    now and again after the commit (a call in between could have cached the not yet revoked row).
    Other web processes keep a cached token for at most GATEWAY_TOKEN_CACHE_SECONDS.
    """
    from gateway_admin.openai_api.auth import forget_token

    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="revoke", obj=token)
    digest = token.token_hash
    forget_token(digest)
    transaction.on_commit(lambda: forget_token(digest))
    return token


def api_token_authenticate(raw: str | None) -> ApiToken | None:
    """The live token matching `raw` (with its user), or None. Sync; wrap with sync_to_async in async code."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=token_hash(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
