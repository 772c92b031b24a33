"""Users and roles: the admin's settings page and the config API use these."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from gateway_admin.permissions import ROLE_ADMIN, ROLE_DEVELOPER, ROLES, set_user_role
from gateway_admin.services.audit import audit_record
from gateway_admin.services.errors import ServiceValidationError
from gateway_admin.services.tokens import api_tokens_forget_for_user

User = get_user_model()


def _role_name(user: Any) -> str | None:
    """The role whether or not the account is active (user_role() says None for inactive users)."""
    if user.is_superuser:
        return ROLE_ADMIN
    names = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
    return ROLE_ADMIN if ROLE_ADMIN in names else ROLE_DEVELOPER if ROLE_DEVELOPER in names else None


def _password_errors(password: str, user: Any) -> list[str]:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        return list(exc.messages)
    return []


@transaction.atomic
def user_create(*, actor: Any, username: str, password: str, role: str, email: str = "") -> Any:
    errors: dict[str, list[str]] = {}
    user = User(username=username, email=email)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        errors.update({field: list(msgs) for field, msgs in exc.message_dict.items()})
    if role not in ROLES:
        errors["role"] = [f"Choose one of: {', '.join(ROLES)}."]
    if not password:
        errors["password"] = ["A password is required."]
    else:
        problems = _password_errors(password, user)
        if problems:
            errors["password"] = problems
    if errors:
        raise ServiceValidationError(errors)
    user.set_password(password)
    user.save()
    set_user_role(user, role)
    audit_record(actor=actor, action="create", obj=user, changes={"role": [None, role], "email": [None, email]})
    return user


@transaction.atomic
def user_update(
    *,
    actor: Any,
    user: Any,
    role: str | None = None,
    is_active: bool | None = None,
    email: str | None = None,
    password: str | None = None,
    clear_role: bool = False,
) -> Any:
    """Change a user's role, active flag, email or password. An admin cannot lock themselves out."""
    errors: dict[str, list[str]] = {}
    if role is not None and role not in ROLES:
        errors["role"] = [f"Choose one of: {', '.join(ROLES)}."]
    is_self = getattr(actor, "pk", None) == user.pk
    if is_self and is_active is False:
        errors["is_active"] = ["You cannot deactivate yourself."]
    if is_self and not user.is_superuser and ((role is not None and role != "admin") or clear_role):
        errors["role"] = ["You cannot remove your own admin role."]
    if password:
        problems = _password_errors(password, user)
        if problems:
            errors["password"] = problems
    if email is not None:
        user.email = email
        try:
            user.full_clean(exclude=["password"])
        except ValidationError as exc:
            errors.update({field: list(msgs) for field, msgs in exc.message_dict.items()})
    if errors:
        raise ServiceValidationError(errors)

    stored = User.objects.get(pk=user.pk)
    before = {"role": _role_name(stored), "is_active": stored.is_active, "email": stored.email}
    if is_active is not None:
        user.is_active = is_active
    if password:
        user.set_password(password)
    user.save()
    if role is not None or clear_role:
        set_user_role(user, None if clear_role else role)
    after = {"role": _role_name(user), "is_active": user.is_active, "email": user.email}
    changes = {f: [before[f], after[f]] for f in before if before[f] != after[f]}
    if password:
        changes["password"] = ["(set)", "(changed)"]
    if changes:
        audit_record(actor=actor, action="update", obj=user, changes=changes)
    if "role" in changes or "is_active" in changes:
        api_tokens_forget_for_user(user=user)
    return user


@transaction.atomic
def user_delete(*, actor: Any, user: Any) -> None:
    """Delete a user and their API tokens (request-log rows keep their entries, without the user).
    An admin cannot delete themselves."""
    if getattr(actor, "pk", None) == user.pk:
        raise ServiceValidationError({"user": ["You cannot delete yourself."]})
    api_tokens_forget_for_user(user=user)  # the rows go with the user; /v1's cache forgets them now
    audit_record(actor=actor, action="delete", obj=user, changes={"role": [_role_name(user), None]})
    user.delete()
