"""API tokens: random, shown once, stored as a sha256 hash with a short display prefix.

The gateway's surfaces look a raw token up with `api_token_info(raw)`, which keeps the answer for
`GATEWAY_TOKEN_CACHE_SECONDS` (default 10 s) per process under the token's sha256 (the raw token
is never kept), so the hot path pays no database round trip per call. `api_token_revoke` and a
change of the owner's role or active flag (`api_tokens_forget_for_user`) evict it here, so in the
process that made the change the token stops working at once; other web processes keep it for at
most that many seconds. Expiry is checked on every hit; concurrent misses share one lookup.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from gateway_admin.aio import run_db
from gateway_admin.models import ApiToken
from gateway_admin.permissions import is_admin, user_role
from gateway_admin.services.audit import audit_record
from gateway_admin.services.caches import evict_now_and_on_commit
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


def _name_taken(user: Any, name: str) -> str:
    return (f'{user.get_username()} already has a live token named "{name}"; choose another name '
            "(or revoke that token first).")


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
    elif ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).exists():
        errors["name"] = [_name_taken(user, name)]
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
    try:
        with transaction.atomic():
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
    except IntegrityError as exc:
        # Two creations raced on the same name; the check above saw it free.
        raise ServiceValidationError({"name": [_name_taken(user, name)]}) from exc
    audit_record(
        actor=actor,
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
    evict_now_and_on_commit(lambda: forget_token(digest))


def api_token_authenticate(raw: str | None) -> ApiToken | None:
    """The live token matching `raw` whose owner is active and has a role (with its user), or None.
    Sync (database); the surfaces use the cached `api_token_info`."""
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


# -- the per-process cache the surfaces authenticate with -------------------------------------------

NEGATIVE_CACHE_SECONDS = 2.0
MAX_CACHED = 10_000


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What a gateway call needs to know about an API token; no secret in it."""

    id: int
    user_id: int
    name: str
    prefix: str
    model_scopes: frozenset[str]
    rpm_limit: int | None
    tpm_limit: int | None
    log_bodies: bool
    expires_at: datetime | None

    def allows(self, model: str) -> bool:
        return not self.model_scopes or model in self.model_scopes

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


_cache: dict[str, tuple[TokenInfo | None, float]] = {}
_inflight: dict[str, asyncio.Future[TokenInfo | None]] = {}


def token_cache_clear() -> None:
    """Forget every cached token (tests)."""
    _cache.clear()


def forget_token(digest: str) -> None:
    """Forget one cached token by its sha256 hex digest (`ApiToken.token_hash`)."""
    _cache.pop(digest, None)


def _info(raw: str) -> TokenInfo | None:
    token = api_token_authenticate(raw)
    if token is None:
        return None
    scopes = frozenset(s.removeprefix("vertex/") for s in (token.model_scopes or []) if isinstance(s, str))
    return TokenInfo(id=token.pk, user_id=token.user_id, name=token.name, prefix=token.prefix,
                     model_scopes=scopes, rpm_limit=token.rpm_limit, tpm_limit=token.tpm_limit,
                     log_bodies=token.log_bodies,
                     expires_at=token.expires_at)


async def api_token_info(raw: str) -> TokenInfo | None:
    """The live token `raw` names (cached per process, see the module docstring), or None."""
    digest = token_hash(raw)
    hit = _cache.get(digest)
    if hit is not None and hit[1] > time.monotonic():
        return hit[0]
    loop = asyncio.get_running_loop()
    pending = _inflight.get(digest)
    if pending is not None and pending.get_loop() is loop:
        return await asyncio.shield(pending)
    future: asyncio.Future[TokenInfo | None] = loop.create_future()
    _inflight[digest] = future
    try:
        info = await run_db(_info, raw)
    except BaseException as exc:
        future.set_exception(exc)
        # The waiters re-raise it; mark it retrieved so an unwaited future does not warn.
        future.exception()
        raise
    else:
        future.set_result(info)
    finally:
        _inflight.pop(digest, None)
    if len(_cache) >= MAX_CACHED:
        _cache.clear()
    ttl = float(settings.GATEWAY_TOKEN_CACHE_SECONDS) if info is not None else NEGATIVE_CACHE_SECONDS
    _cache[digest] = (info, time.monotonic() + ttl)
    return info
