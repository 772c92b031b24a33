"""Key create/edit/delete pages, and the helpers the key form calls while you type:
instant credential validation, the live merged-model preview and Test connection."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from gateway_admin import routing_config
from gateway_admin.aio import run_sync
from gateway_admin.models import AllowedModel, Deployment, VertexKey
from gateway_admin.permissions import admin_required, is_admin
from gateway_admin.selectors.keys import key_health_row
from gateway_admin.services.errors import ServiceValidationError
from gateway_admin.web import key_support
from gateway_admin.web.forms import (
    AllowedRow,
    DeploymentRow,
    KeyForm,
    allowed_rows_from_post,
    check_rows,
    deployment_rows_from_post,
)
from routing.residency import DEFAULT_REGION_FAILOVER

from .base import render_page, strip_prefix

SCALAR_FIELDS = {"name", "project_id", "project_number", "region", "region_failover", "weight", "enabled"}
FIELD_ALIASES = {"auth_credentials": "credentials", "credential": "credentials", "allowed_models": "allowedModels"}


def _key_with_rows(pk: int) -> VertexKey:
    qs = VertexKey.objects.select_related("listing").prefetch_related(
        Prefetch("deployments", queryset=Deployment.objects.order_by("position", "id")),
        Prefetch("allowed_models", queryset=AllowedModel.objects.order_by("position", "id")),
    )
    return get_object_or_404(qs, pk=pk)


def _config_from(form: KeyForm, deployments: list[DeploymentRow], allowed: list[AllowedRow], *,
                 editing: bool) -> dict[str, Any]:
    data = form.cleaned_data
    config: dict[str, Any] = {
        "project_id": data["project_id"].strip(),
        "project_number": (data.get("project_number") or "").strip(),
        "region": data["region"].strip(),
        "deployments": {r.alias: r.target for r in deployments},
        "allowedModels": [a.model_id for a in allowed],
    }
    regions = {r.alias: r.region for r in deployments if r.region}
    if regions:
        config["deployment_regions"] = regions
    if data.get("credential_raw"):
        config["auth_credentials"] = data["credential_raw"]
    elif data.get("use_adc") or not editing:
        config["auth_credentials"] = ""
    # Editing with nothing pasted: no auth_credentials key at all, so the stored secret is kept.
    return config


def _apply_errors(errors: Mapping[str, list[str]], form: KeyForm, deployments: list[DeploymentRow],
                  allowed: list[AllowedRow]) -> None:
    """Put each service error beside the field, row or cell it names."""
    by_alias = {r.alias: r for r in deployments}
    for raw_field, reasons in errors.items():
        name = strip_prefix(raw_field)
        name = FIELD_ALIASES.get(name, name)
        head, _, rest = name.partition(".")
        if name == "credentials":
            for reason in reasons:
                form.add_error(name, key_support.credential_sentence(reason))
        elif name in SCALAR_FIELDS:
            for reason in reasons:
                form.add_error(name, reason)
        elif head in ("deployments", "deployment_regions") and rest in by_alias:
            cell = "region" if head == "deployment_regions" else "target"
            if head == "deployments" and any("alias" in r.lower() for r in reasons):
                cell = "alias"
            by_alias[rest].errors.setdefault(cell, []).extend(reasons)
        elif name.startswith("allowedModels[") and name.endswith("]"):
            try:
                allowed[int(name[len("allowedModels["):-1])].errors.extend(reasons)
            except (ValueError, IndexError):
                form.add_error(None, f"Allowed models: {' '.join(reasons)}")
        else:
            label = name.replace("_", " ").capitalize()
            for reason in reasons:
                form.add_error(None, f"{label}: {reason}")


def _rows_from_key(key: VertexKey) -> tuple[list[DeploymentRow], list[AllowedRow]]:
    deployments = [DeploymentRow(alias=d.alias, target=d.target, region=d.region_override)
                   for d in key.deployments.all()]
    allowed = [AllowedRow(model_id=a.model_id) for a in key.allowed_models.all()]
    return deployments, allowed


def _form_page(request: HttpRequest, *, form: KeyForm, key: VertexKey | None,
               deployments: list[DeploymentRow], allowed: list[AllowedRow], status: int = 200) -> HttpResponse:
    # A refused form never sends a pasted or uploaded credential back into the page, whatever the
    # error was; the note says so (and that the stored one, if any, is kept).
    pasted = request.method == "POST" and bool((request.POST.get("credentials") or "").strip()
                                               or request.FILES.get("credentials_file"))
    context = {
        "credential_cleared": pasted and status >= 400,
        "form": form,
        "key": key,
        "deployments": deployments,
        "allowed": allowed,
        "row_errors": any(r.errors for r in deployments) or any(a.errors for a in allowed),
        "health": key_health_row(key=key) if key is not None else None,
        **key_support.picker_context(),
    }
    title = f"Edit {key.name}" if key else "Add a key"
    return render_page(request, "keys/key_form.html", context, nav="" if key else "key-create",
                       title=title, status=status)


def _save(request: HttpRequest, key: VertexKey | None) -> HttpResponse:
    editing = key is not None
    form = KeyForm(request.POST, request.FILES, editing=editing)
    deployments = deployment_rows_from_post(request.POST)
    allowed = allowed_rows_from_post(request.POST)
    rows_ok = check_rows(deployments, allowed)
    if not form.is_valid() or not rows_ok:
        return _form_page(request, form=form, key=key, deployments=deployments, allowed=allowed, status=400)
    config = _config_from(form, deployments, allowed, editing=editing)
    try:
        key, warnings = key_support.save_key(actor=request.user, key=key, name=form.cleaned_data["name"].strip(),
                                             config=config, enabled=form.cleaned_data["enabled"],
                                             weight=form.cleaned_data["weight"],
                                             region_failover=form.cleaned_data["region_failover"] or None)
    except ServiceValidationError as exc:
        _apply_errors(exc.errors, form, deployments, allowed)
        return _form_page(request, form=form, key=key if editing else None, deployments=deployments,
                          allowed=allowed, status=400)
    messages.success(request, f"Key \u201c{key.name}\u201d {'saved' if editing else 'created'}. "
                              "Its model list is being refreshed.")
    for warning in warnings:
        messages.warning(request, warning)
    return redirect("key-edit", pk=key.pk)


@admin_required
def key_create_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _save(request, None)
    form = KeyForm(initial={"enabled": True, "weight": 1, "region": "global",
                            "region_failover": DEFAULT_REGION_FAILOVER})
    return _form_page(request, form=form, key=None, deployments=[], allowed=[])


@admin_required
def key_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    key = _key_with_rows(pk)
    if request.method == "POST":
        return _save(request, key)
    form = KeyForm(editing=True, initial={
        "name": key.name, "project_id": key.project_id, "project_number": key.project_number,
        "region": key.region, "region_failover": key.region_failover, "enabled": key.enabled, "weight": key.weight,
        "use_adc": key.uses_default_credentials,
    })
    deployments, allowed = _rows_from_key(key)
    return _form_page(request, form=form, key=key, deployments=deployments, allowed=allowed)


@admin_required
@require_POST
def key_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    key = get_object_or_404(VertexKey, pk=pk)
    name = key.name
    key_support.delete_key(actor=request.user, key=key)
    messages.success(request, f"Key \u201c{name}\u201d deleted.")
    return redirect("overview")


@admin_required
@require_POST
def key_credentials_check_view(request: HttpRequest) -> JsonResponse:
    """Validate a pasted service-account JSON at once; answer with its identity only, never the secret."""
    raw = (request.POST.get("credentials") or "").strip()
    upload = request.FILES.get("credentials_file")
    if upload is not None and not raw:
        raw = upload.read(64 * 1024 + 1).decode("utf-8", errors="replace").strip()
    return JsonResponse(key_support.credential_identity(raw))


@admin_required
@require_POST
def key_preview_view(request: HttpRequest) -> HttpResponse:
    """The merged model list the form would produce, plus availability warnings (an HTML fragment)."""
    deployments = deployment_rows_from_post(request.POST)
    allowed = allowed_rows_from_post(request.POST)
    key_id = request.POST.get("key_id") or ""
    key = VertexKey.objects.select_related("listing").filter(pk=int(key_id)).first() if key_id.isdigit() else None
    # Saving refuses a second row with the same alias; the preview shows the first row, as it would be
    # once the second is fixed, and says which alias is doubled.
    first: dict[str, DeploymentRow] = {}
    for r in deployments:
        if r.alias and r.target:
            first.setdefault(r.alias, r)
    doubled = sorted({r.alias for r in deployments if r.alias and first.get(r.alias) not in (None, r)})
    preview = key_support.merged_preview(
        key=key, project_id=request.POST.get("project_id", "").strip(), region=request.POST.get("region", "").strip(),
        deployments={a: r.target for a, r in first.items()},
        deployment_regions={a: r.region for a, r in first.items() if r.region},
        allowed=[a.model_id for a in allowed],
    )
    preview["errors"] = [*(f"Alias {a} is used by more than one deployment row; saving refuses the later "
                           "rows (the preview shows the first)." for a in doubled), *preview["errors"]]
    html = render_to_string("keys/_preview.html", preview, request=request)
    return HttpResponse(html)


def _admin_or_refusal(request: HttpRequest) -> JsonResponse | None:
    if not request.user.is_authenticated:
        return JsonResponse({"error": "Sign in first."}, status=401)
    if not is_admin(request.user):
        raise PermissionDenied("Your role does not allow this page.")
    return None


def _test(config: Any) -> JsonResponse:
    # The check runs on the bridge's event loop, so its pooled upstream connections are reused.
    return JsonResponse(run_sync(lambda: key_support.test_draft(config, base_url=routing_config.base_url())))


@require_POST
def key_test_view(request: HttpRequest, pk: int) -> JsonResponse:
    """Test connection: mint a token and list models through the same code as live traffic."""
    refusal = _admin_or_refusal(request)
    if refusal is not None:
        return refusal
    config, errors = key_support.saved_key_config(_key_with_rows(pk))
    if config is None:
        return JsonResponse({"ok": False, "token_ok": False, "error": errors["credentials"],
                             "error_type": "configuration_error"})
    return _test(config)


def _draft_config(request: HttpRequest) -> tuple[Any, dict[str, str]]:
    key_id = request.POST.get("key_id") or ""
    key = _key_with_rows(int(key_id)) if key_id.isdigit() else None
    return key_support.draft_key_config(
        key=key, project_id=request.POST.get("project_id", "").strip(), region=request.POST.get("region", "").strip(),
        project_number=request.POST.get("project_number", "").strip(),
        credentials=(request.POST.get("credentials") or "").strip(), use_adc=bool(request.POST.get("use_adc")))


@require_POST
def key_test_draft_view(request: HttpRequest) -> JsonResponse:
    """Test connection with the form's current values, before saving (the same check as key-test)."""
    refusal = _admin_or_refusal(request)
    if refusal is not None:
        return refusal
    config, errors = _draft_config(request)
    if config is None:
        return JsonResponse({"ok": False, "token_ok": False, "fields": errors,
                             "error": " ".join(f"{k.replace('_', ' ').capitalize()}: {v}" for k, v in errors.items())})
    return _test(config)
