"""Dashboard forms. They check shape (types, lengths, required); the services check meaning
(regions, model ids, credentials) and their errors are put back beside the same fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import QueryDict

from gateway_admin.models import VertexKey
from gateway_admin.permissions import ROLE_CHOICES

MAX_CREDENTIAL_BYTES = 64 * 1024


class KeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="A name you will recognise in logs and pickers.")
    project_id = forms.CharField(max_length=30, label="Project ID")
    project_number = forms.CharField(
        max_length=20, required=False, label="Project number",
        help_text="Only needed for fine-tuned endpoints.")
    region = forms.CharField(max_length=40)
    # Not required so that a post without it keeps the stored mode (edit) or the default (create).
    region_failover = forms.ChoiceField(
        choices=VertexKey.RegionFailover.choices, required=False, label="Region failover",
        help_text="When this region answers 429/5xx: any region favours availability (global first); "
                  "staying in the residency zone keeps prompts there, for data residency.")
    credentials = forms.CharField(
        required=False, strip=True, label="Service-account JSON",
        widget=forms.Textarea(attrs={"rows": 6, "autocomplete": "off", "spellcheck": "false"}))
    credentials_file = forms.FileField(required=False, label="or upload the key file")
    use_adc = forms.BooleanField(required=False, label="Use Application Default Credentials")
    enabled = forms.BooleanField(required=False, initial=True)
    weight = forms.IntegerField(min_value=1, max_value=1000, initial=1,
                                help_text="Share of traffic among keys that carry the same model.")

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing

    def clean_credentials_file(self) -> str:
        upload = self.cleaned_data.get("credentials_file")
        if not upload:
            return ""
        if upload.size > MAX_CREDENTIAL_BYTES:
            raise forms.ValidationError("This file is too large to be a service-account key.")
        try:
            return upload.read().decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("This file is not a JSON text file.") from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        raw = data.get("credentials") or data.get("credentials_file") or ""
        if len(raw.encode()) > MAX_CREDENTIAL_BYTES:
            self.add_error("credentials", "This is too large to be a service-account key.")
        data["credential_raw"] = raw
        if not raw and not data.get("use_adc") and not self.editing:
            self.add_error("credentials", "Paste or upload the service-account JSON, or choose "
                                          "Application Default Credentials.")
        return data


@dataclass
class DeploymentRow:
    alias: str = ""
    target: str = ""
    region: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class AllowedRow:
    model_id: str = ""
    errors: list[str] = field(default_factory=list)


def deployment_rows_from_post(post: QueryDict) -> list[DeploymentRow]:
    """The deployments table as posted (parallel lists); fully blank rows are dropped."""
    aliases, targets, regions = post.getlist("dep_alias"), post.getlist("dep_target"), post.getlist("dep_region")
    rows = []
    for i in range(max(len(aliases), len(targets), len(regions))):
        row = DeploymentRow(
            alias=(aliases[i] if i < len(aliases) else "").strip(),
            target=(targets[i] if i < len(targets) else "").strip(),
            region=(regions[i] if i < len(regions) else "").strip(),
        )
        if row.alias or row.target or row.region:
            rows.append(row)
    return rows


def allowed_rows_from_post(post: QueryDict) -> list[AllowedRow]:
    return [AllowedRow(model_id=v.strip()) for v in post.getlist("allowed") if v.strip()]


def check_rows(deployments: list[DeploymentRow], allowed: list[AllowedRow]) -> bool:
    """Shape checks the service cannot see once rows become a dict (duplicates, half-filled rows)."""
    ok = True
    seen: set[str] = set()
    for row in deployments:
        if not row.alias:
            row.errors.setdefault("alias", []).append("Give this deployment an alias.")
            ok = False
        elif row.alias in seen:
            row.errors.setdefault("alias", []).append("This alias is already used above.")
            ok = False
        seen.add(row.alias)
        if not row.target:
            row.errors.setdefault("target", []).append("Say which model or endpoint this alias calls.")
            ok = False
    seen_allowed: set[str] = set()
    for a in allowed:
        if a.model_id in seen_allowed:
            a.errors.append("Listed twice.")
            ok = False
        seen_allowed.add(a.model_id)
    return ok


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses this token, e.g. \u201cCI pipeline\u201d.")
    model_scopes = forms.CharField(
        required=False, label="Model scopes",
        help_text="Model ids this token may call, separated by commas or spaces. Empty: every model.")
    rpm_limit = forms.IntegerField(required=False, min_value=1, label="Requests per minute",
                                   help_text="Empty: no limit.")
    expires_at = forms.DateTimeField(required=False, label="Expires",
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                     help_text="Empty: never expires.")
    log_bodies = forms.BooleanField(required=False, label="Log request and response bodies")

    def clean_model_scopes(self) -> list[str]:
        raw = self.cleaned_data.get("model_scopes") or ""
        return [s for s in raw.replace(",", " ").split() if s]


class UserCreateForm(forms.Form):
    username = forms.CharField(max_length=150)
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               min_length=8, help_text="At least 8 characters.")
    role = forms.ChoiceField(choices=ROLE_CHOICES)


class UserPasswordForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), min_length=8)


class UserRoleForm(forms.Form):
    role = forms.ChoiceField(choices=(*ROLE_CHOICES, ("", "No access")), required=False)
