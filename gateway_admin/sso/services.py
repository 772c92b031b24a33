"""Writes for sign-ins through the identity provider. Roles go through services.users.user_update,
the one role-setting service, so that API tokens follow the role like any other role change."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from gateway_admin.services.audit import audit_record
from gateway_admin.services.users import user_update

User = get_user_model()
USERNAME_MAX = 150


def _free_username(email: str, subject: str) -> str:
    username = email[:USERNAME_MAX]
    if not User.objects.filter(username__iexact=username).exists():
        return username
    suffix = "-" + hashlib.sha256(subject.encode()).hexdigest()[:8]
    return email[: USERNAME_MAX - len(suffix)] + suffix


@transaction.atomic
def sso_user_create(*, email: str, claims: Mapping[str, Any], provider: str) -> Any:
    """A new account for someone the identity provider vouches for. It has no usable password: its
    only way in is the provider."""
    user = User(username=_free_username(email, str(claims.get("sub", email))), email=email,
                first_name=str(claims.get("given_name") or "")[:150],
                last_name=str(claims.get("family_name") or "")[:150])
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(actor=None, action="create", obj=user,
                 changes={"email": [None, email], "source": [None, f"sign-in with {provider}"]})
    return user


def sso_role_sync(*, user: Any, role: str | None) -> Any:
    """The role the provider's groups give, set at every sign-in (None clears it)."""
    return user_update(actor=None, user=user, role=role, clear_role=role is None)
