"""Settings: API tokens (shown once at creation, revoke, scopes) and, for admins, users and roles."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from gateway_admin.models import ApiToken
from gateway_admin.permissions import ROLES, admin_required, developer_required, is_admin
from gateway_admin.services.errors import ServiceValidationError
from gateway_admin.services.tokens import api_token_create, api_token_revoke
from gateway_admin.services.users import user_create, user_delete, user_update
from gateway_admin.web.forms import ApiTokenForm, UserCreateForm, UserPasswordForm, UserRoleForm

from .base import render_page

User = get_user_model()


def _users() -> list[dict[str, Any]]:
    from django.contrib.auth.models import Group

    users = User.objects.order_by("username").prefetch_related(
        Prefetch("groups", queryset=Group.objects.filter(name__in=ROLES), to_attr="role_groups"))
    out = []
    for u in users:
        names = {g.name for g in u.role_groups}
        role = "admin" if u.is_superuser or "admin" in names else "developer" if "developer" in names else ""
        out.append({"user": u, "role": role})
    return out


def _page(request: HttpRequest, *, token_form: ApiTokenForm | None = None,
          user_form: UserCreateForm | None = None, new_token: dict[str, str] | None = None,
          status: int = 200) -> HttpResponse:
    admin = is_admin(request.user)
    tokens = ApiToken.objects.select_related("user").order_by("-created_at")
    if not admin:
        tokens = tokens.filter(user=request.user)
    return render_page(request, "settings/settings.html", {
        "tokens": list(tokens),
        "token_form": token_form or ApiTokenForm(),
        "user_form": user_form or UserCreateForm(initial={"role": "developer"}),
        "users": _users() if admin else [],
        "role_choices": UserRoleForm.base_fields["role"].choices,
        "new_token": new_token,
        "now": timezone.now(),
    }, nav="settings", title="Settings", status=status)


# The raw token of a token just created, kept in the (server-side) session between the POST and the
# redirected GET and shown by that one GET: never in a URL, gone on reload.
NEW_TOKEN_SESSION_KEY = "new_api_token"


@developer_required
def settings_view(request: HttpRequest) -> HttpResponse:
    new_token = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    response = _page(request, new_token=new_token)
    if new_token:
        response["Cache-Control"] = "no-store"
    return response


def _copy_errors(form: Any, errors: dict[str, list[str]]) -> None:
    for field, reasons in errors.items():
        name = field if field in form.fields else None
        for reason in reasons:
            form.add_error(name, reason if name else f"{field}: {reason}")


@developer_required
@require_POST
def token_create_view(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _page(request, token_form=form, status=400)
    data = form.cleaned_data
    try:
        token, raw = api_token_create(user=request.user, name=data["name"], model_scopes=data["model_scopes"],
                                      rpm_limit=data["rpm_limit"], log_bodies=data["log_bodies"],
                                      expires_at=data["expires_at"], actor=request.user)
    except ServiceValidationError as exc:
        _copy_errors(form, exc.errors)
        return _page(request, token_form=form, status=400)
    request.session[NEW_TOKEN_SESSION_KEY] = {"name": token.name, "raw": raw}
    return redirect("settings")


@developer_required
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    tokens = ApiToken.objects.all() if is_admin(request.user) else ApiToken.objects.filter(user=request.user)
    token = get_object_or_404(tokens, pk=pk)
    api_token_revoke(actor=request.user, token=token)  # also forgets the token in /v1's cache
    messages.success(request, f"Token \u201c{token.name}\u201d revoked; calls with it are refused from now on.")
    return redirect("settings")


@admin_required
@require_POST
def user_create_view(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST)
    if not form.is_valid():
        return _page(request, user_form=form, status=400)
    try:
        user = user_create(actor=request.user, username=form.cleaned_data["username"],
                           password=form.cleaned_data["password"], role=form.cleaned_data["role"])
    except ServiceValidationError as exc:
        _copy_errors(form, exc.errors)
        return _page(request, user_form=form, status=400)
    messages.success(request, f"User \u201c{user.get_username()}\u201d created.")
    return redirect("settings")


@admin_required
@require_POST
def user_role_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    form = UserRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role from the list.")
        return redirect("settings")
    role = form.cleaned_data["role"] or None
    try:
        user_update(actor=request.user, user=user, role=role, clear_role=role is None)
    except ServiceValidationError as exc:
        for reasons in exc.errors.values():
            for reason in reasons:
                messages.error(request, f"{user.get_username()}: {reason}")
        return redirect("settings")
    messages.success(request, f"{user.get_username()} is now {'an admin' if role == 'admin' else 'a developer' if role else 'without access'}.")
    return redirect("settings")


def _report(request: HttpRequest, user: Any, exc: ServiceValidationError) -> HttpResponse:
    for reasons in exc.errors.values():
        for reason in reasons:
            messages.error(request, f"{user.get_username()}: {reason}")
    return redirect("settings")


@admin_required
@require_POST
def user_active_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate (POST active=0) or reactivate (active=1) a user; a deactivated user's sessions
    and tokens stop working."""
    user = get_object_or_404(User, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        user_update(actor=request.user, user=user, is_active=active)
    except ServiceValidationError as exc:
        return _report(request, user, exc)
    messages.success(request, f"{user.get_username()} is {'active again' if active else 'deactivated'}.")
    return redirect("settings")


@admin_required
@require_POST
def user_password_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    form = UserPasswordForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"{user.get_username()}: give a new password of at least 8 characters.")
        return redirect("settings")
    try:
        user_update(actor=request.user, user=user, password=form.cleaned_data["password"])
    except ServiceValidationError as exc:
        return _report(request, user, exc)
    messages.success(request, f"The password of {user.get_username()} was reset.")
    return redirect("settings")


@admin_required
@require_POST
def user_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    name = user.get_username()
    try:
        user_delete(actor=request.user, user=user)
    except ServiceValidationError as exc:
        return _report(request, user, exc)
    messages.success(request, f"User \u201c{name}\u201d and their API tokens were deleted.")
    return redirect("settings")
