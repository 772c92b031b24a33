"""Django admin for every model. Credentials are never rendered: a key shows its credential's
identity and fingerprint, and a new credential can be pasted into a write-only field. Key writes go
through the same services as the API (validation, audit, refresh)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.html import format_html

from gateway_admin.models import (
    AllowedModel,
    ApiToken,
    AuditLog,
    AvailabilityOverride,
    Budget,
    BudgetCounter,
    Deployment,
    KeyHealth,
    ModelListing,
    PriceOverride,
    RequestLog,
    Team,
    UsageRollup,
    VertexKey,
    VideoJob,
)
from gateway_admin.permissions import is_admin
from gateway_admin.services.errors import ServiceValidationError
from gateway_admin.services.keys import (
    CONFIG,
    CREDENTIALS,
    key_config_dict,
    key_create,
    key_credential_summary,
    key_update,
    key_validate,
)
from gateway_admin.services.tokens import api_token_create, api_token_revoke
from routing.config import ConfigError, validate_region


class AdminRoleMixin:
    """Only the admin role may use these pages, whatever Django model permissions say."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request.user)


class ReadOnlyAdminMixin(AdminRoleMixin):
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class WriteOnlyTextarea(forms.Textarea):
    """Never renders a value back into the page (even after a failed submit)."""

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        return super().get_context(name, None, attrs)


class VertexKeyForm(forms.ModelForm):
    new_credentials = forms.CharField(
        label="Replace credential",
        required=False,
        strip=False,
        widget=WriteOnlyTextarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"}),
        help_text="Paste a service-account key JSON to replace the stored one. Leave empty to keep it. "
        "The stored credential is never shown.",
    )
    use_default_credentials = forms.BooleanField(
        required=False, label="Use Application Default Credentials (removes the stored credential)"
    )

    class Meta:
        model = VertexKey
        fields = ["name", "project_id", "project_number", "region", "region_failover", "enabled", "weight"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A post without it keeps the stored mode (or the model default), as the API and dashboard do.
        self.fields["region_failover"].required = False

    def clean_region_failover(self) -> str:
        return self.cleaned_data.get("region_failover") or self.instance.region_failover

    def _config(self) -> dict[str, Any]:
        data = self.cleaned_data
        base = key_config_dict(self.instance) if self.instance.pk else {}
        config = {
            **base,
            "project_id": data.get("project_id", ""),
            "project_number": data.get("project_number", ""),
            "region": data.get("region", ""),
        }
        if data.get("use_default_credentials"):
            config[CREDENTIALS] = ""
        elif data.get("new_credentials"):
            config[CREDENTIALS] = data["new_credentials"]
        elif not self.instance.pk:
            config[CREDENTIALS] = ""
        return config

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            key_validate(
                name=data.get("name"),
                config=self._config(),
                enabled=data.get("enabled"),
                weight=data.get("weight"),
                region_failover=data.get("region_failover"),
                key=self.instance if self.instance.pk else None,
            )
        except ServiceValidationError as exc:
            for field, reasons in exc.errors.items():
                name = field.removeprefix(f"{CONFIG}.")
                if name == CREDENTIALS:
                    name = "new_credentials"
                self.add_error(name if name in self.fields else None, [f"{field}: {r}" for r in reasons])
        return data


class DeploymentInline(admin.TabularInline):
    model = Deployment
    fields = ["alias", "target", "region_override", "enabled"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "Deployments (edit them in the dashboard or the API)"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AllowedModelInline(admin.TabularInline):
    model = AllowedModel
    fields = ["model_id"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(VertexKey)
class VertexKeyAdmin(AdminRoleMixin, admin.ModelAdmin):
    form = VertexKeyForm
    list_display = ["name", "project_id", "region", "region_failover", "enabled", "weight", "credential", "updated_at"]
    list_filter = ["enabled", "region", "region_failover"]
    search_fields = ["name", "project_id"]
    readonly_fields = ["credential", "created_at", "updated_at"]
    fields = [
        "name",
        "project_id",
        "project_number",
        "region",
        "region_failover",
        "enabled",
        "weight",
        "credential",
        "new_credentials",
        "use_default_credentials",
        "created_at",
        "updated_at",
    ]
    inlines = [DeploymentInline, AllowedModelInline]

    @admin.display(description="Credential")
    def credential(self, key: VertexKey) -> str:
        if not key.pk:
            return "-"
        summary = key_credential_summary(key)
        if summary["type"] != "service_account":
            return "Application Default Credentials"
        return format_html(
            "{} · key id {} · fingerprint {}",
            summary["client_email"],
            summary["private_key_id"],
            summary["fingerprint"],
        )

    def save_model(self, request: HttpRequest, obj: VertexKey, form: VertexKeyForm, change: bool) -> None:
        data = form.cleaned_data
        config = form._config()
        if change:
            stored = VertexKey.objects.get(pk=obj.pk)
            key, warnings = key_update(
                actor=request.user,
                key=stored,
                name=data["name"],
                config=config,
                partial=False,
                enabled=data["enabled"],
                weight=data["weight"],
                region_failover=data["region_failover"],
            )
        else:
            key, warnings = key_create(
                actor=request.user, name=data["name"], config=config, enabled=data["enabled"], weight=data["weight"],
                region_failover=data["region_failover"],
            )
        obj.pk = key.pk
        obj.refresh_from_db()
        for warning in warnings:
            messages.warning(request, warning)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Deployments and allowed models are written by the key services, not by inline formsets.
        return None

    def delete_model(self, request: HttpRequest, obj: VertexKey) -> None:
        from gateway_admin.services.keys import key_delete

        key_delete(actor=request.user, key=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        from gateway_admin.services.keys import key_delete

        for key in queryset:
            key_delete(actor=request.user, key=key)


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["alias", "target", "key", "region_override", "enabled"]
    list_filter = ["enabled"]
    search_fields = ["alias", "target", "key__name"]


@admin.register(AllowedModel)
class AllowedModelAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["model_id", "key", "position"]
    search_fields = ["model_id", "key__name"]


class AvailabilityOverrideForm(forms.ModelForm):
    class Meta:
        model = AvailabilityOverride
        fields = ["model_id", "region", "served", "note"]

    def clean_region(self) -> str:
        region = self.cleaned_data["region"]
        try:
            validate_region(region)
        except ConfigError as exc:
            raise forms.ValidationError(exc.message) from exc
        return region


@admin.register(AvailabilityOverride)
class AvailabilityOverrideAdmin(AdminRoleMixin, admin.ModelAdmin):
    form = AvailabilityOverrideForm
    list_display = ["model_id", "region", "served", "note", "updated_at"]
    list_filter = ["served", "region"]
    search_fields = ["model_id"]


class ApiTokenAddForm(forms.ModelForm):
    scopes = forms.CharField(
        required=False, label="Model scopes", help_text="Comma-separated model ids; empty means every model."
    )

    class Meta:
        model = ApiToken
        fields = ["user", "name", "rpm_limit", "log_bodies", "expires_at"]

    def clean(self) -> dict[str, Any]:
        from django.utils import timezone

        data = super().clean()
        if data.get("rpm_limit") is not None and data["rpm_limit"] < 1:
            self.add_error("rpm_limit", "A positive number of requests per minute, or empty for no limit.")
        if data.get("expires_at") is not None and data["expires_at"] <= timezone.now():
            self.add_error("expires_at", "The expiry must be in the future.")
        return data


@admin.register(ApiToken)
class ApiTokenAdmin(AdminRoleMixin, admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    actions = ["revoke"]
    readonly_fields = [
        "user",
        "name",
        "prefix",
        "model_scopes",
        "rpm_limit",
        "log_bodies",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["user", "name", "scopes", "rpm_limit", "log_bodies", "expires_at"]
        return self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        data = form.cleaned_data
        scopes = [s.strip() for s in (data.get("scopes") or "").split(",") if s.strip()]
        token, raw = api_token_create(
            actor=request.user,
            user=data["user"],
            name=data["name"],
            model_scopes=scopes,
            rpm_limit=data.get("rpm_limit"),
            log_bodies=data.get("log_bodies", False),
            expires_at=data.get("expires_at"),
        )
        obj.pk = token.pk
        obj.refresh_from_db()
        messages.success(request, f"Token created. Copy it now, it will not be shown again: {raw}")

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for token in queryset:
            api_token_revoke(actor=request.user, token=token)
        messages.success(request, f"Revoked {queryset.count()} token(s).")


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "actor_label", "action", "object_type", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_repr", "actor_label"]
    readonly_fields = ["created_at", "actor_label", "action", "object_type", "object_id", "object_repr", "changes_json"]
    exclude = ["changes", "actor"]

    @admin.display(description="Changes")
    def changes_json(self, row: AuditLog) -> str:
        return format_html("<pre>{}</pre>", json.dumps(row.changes, indent=2, sort_keys=True, default=str))


@admin.register(RequestLog)
class RequestLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "source", "model", "key_name", "region", "status", "latency_ms"]
    list_filter = ["source", "status", "operation"]
    search_fields = ["model", "key_name", "error_message"]


@admin.register(ModelListing)
class ModelListingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["key", "fetched_at", "stale"]


@admin.register(KeyHealth)
class KeyHealthAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["key", "checked_at", "token_ok", "list_status", "last_error_at"]


@admin.register(VideoJob)
class VideoJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "created_at", "model", "status", "progress", "region", "user"]
    list_filter = ["status"]
    search_fields = ["id", "model"]
    # The video bytes are not shown in the admin (they can be megabytes).
    exclude = ["content"]


# Spend: read-only here; budgets, teams and price overrides are written on the Budgets and Prices
# pages and over /api/v1, which validate and audit every change.
@admin.register(Team)
class TeamAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(Budget)
class BudgetAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "token", "user", "team", "amount_usd", "period", "soft_limit_percent", "updated_at"]
    list_filter = ["period"]


@admin.register(BudgetCounter)
class BudgetCounterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["budget", "period_start", "spent_nanos"]


@admin.register(PriceOverride)
class PriceOverrideAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["model_id", "effective_from", "input", "output", "cache_read", "cache_write", "per_image",
                    "per_second", "note"]
    search_fields = ["model_id"]


@admin.register(UsageRollup)
class UsageRollupAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["day", "model", "token_id", "user_id", "key_id", "calls", "errors", "input_tokens",
                    "output_tokens", "cost_nanos"]
    list_filter = ["day"]
    search_fields = ["model"]
