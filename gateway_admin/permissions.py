"""Roles: two Django groups, "admin" and "developer". A superuser counts as an admin.

Admins manage keys, tokens and users; developers use the playground and read model lists and
request logs, but never see credential details. Admins are developers too.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeGuard

from django.contrib.auth.mixins import AccessMixin
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from rest_framework.permissions import BasePermission

if TYPE_CHECKING:
    from django.contrib.auth.models import User

ROLE_ADMIN = "admin"
ROLE_DEVELOPER = "developer"
ROLES: tuple[str, ...] = (ROLE_ADMIN, ROLE_DEVELOPER)
ROLE_CHOICES: tuple[tuple[str, str], ...] = ((ROLE_ADMIN, "Admin"), (ROLE_DEVELOPER, "Developer"))

_CACHE_ATTR = "_gateway_role_cache"


def user_role(user: AbstractBaseUser | AnonymousUser | None) -> str | None:
    """"admin", "developer" or None. Cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", True):
        return None
    cached: str | bool | None = getattr(user, _CACHE_ATTR, False)
    if cached is not False:
        return cached if isinstance(cached, str) else None
    role: str | None
    if getattr(user, "is_superuser", False):
        role = ROLE_ADMIN
    else:
        names = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))  # type: ignore[union-attr]
        role = ROLE_ADMIN if ROLE_ADMIN in names else ROLE_DEVELOPER if ROLE_DEVELOPER in names else None
    setattr(user, _CACHE_ATTR, role)
    return role


def set_user_role(user: AbstractBaseUser, role: str | None) -> None:
    """Put the user in exactly one role group (or none). Superuser status is left as it is; staff
    status (entry to the Django admin) follows the admin role."""
    if role is not None and role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ROLES}
    user.groups.remove(*groups.values())  # type: ignore[attr-defined]
    if role is not None:
        user.groups.add(groups[role])  # type: ignore[attr-defined]
    is_staff = role == ROLE_ADMIN or bool(getattr(user, "is_superuser", False))
    if getattr(user, "is_staff", is_staff) != is_staff:
        user.is_staff = is_staff  # type: ignore[attr-defined]
        user.save(update_fields=["is_staff"])
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def is_admin(user: Any) -> bool:
    return user_role(user) == ROLE_ADMIN


def is_developer(user: Any) -> bool:
    """Admins are developers too."""
    return user_role(user) in ROLES


class IsAdminRole(BasePermission):
    message = "This needs the admin role."

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_admin(request.user)


class IsDeveloperRole(BasePermission):
    message = "This needs the developer or admin role."

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_developer(request.user)


class AuthenticatedHttpRequest(HttpRequest):
    """The request a view behind `admin_required` or `developer_required` gets: its `user` is
    signed in. For type checking only; at run time it is Django's request unchanged."""

    user: User


def signed_in(request: HttpRequest) -> TypeGuard[AuthenticatedHttpRequest]:
    """Whether a user is signed in; if so, `request.user` is a User (the project's user model)."""
    return request.user.is_authenticated


P = ParamSpec("P")
SignedInView = Callable[Concatenate[AuthenticatedHttpRequest, P], HttpResponseBase]
PageView = Callable[Concatenate[HttpRequest, P], HttpResponseBase]


def _role_required(check: Callable[[Any], bool]) -> Callable[[SignedInView[P]], PageView[P]]:
    def decorator(view: SignedInView[P]) -> PageView[P]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            if not signed_in(request):
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied("Your role does not allow this page.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


admin_required = _role_required(is_admin)
developer_required = _role_required(is_developer)


class _RoleRequiredMixin(AccessMixin):
    """Class-based view mixin: anonymous -> login redirect, wrong role -> 403."""

    raise_exception = False

    def has_role(self, user: Any) -> bool:
        raise NotImplementedError

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not self.has_role(request.user):
            raise PermissionDenied("Your role does not allow this page.")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class AdminRequiredMixin(_RoleRequiredMixin):
    def has_role(self, user: Any) -> bool:
        return is_admin(user)


class DeveloperRequiredMixin(_RoleRequiredMixin):
    def has_role(self, user: Any) -> bool:
        return is_developer(user)
