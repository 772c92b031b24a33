"""Django admin: every model registered, key writes go through the services, credentials masked."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client

from gateway_admin.models import AuditLog, AvailabilityOverride, VertexKey

pytestmark = pytest.mark.django_db

ADD = "/admin/gateway_admin/vertexkey/add/"
INLINES = {
    f"{prefix}-{field}": value
    for prefix in ("deployments", "allowed_models")
    for field, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"), ("MIN_NUM_FORMS", "0"), ("MAX_NUM_FORMS", "1000"))
}


def test_every_model_of_the_app_is_registered() -> None:
    models = set(apps.get_app_config("gateway_admin").get_models())

    assert models and models <= set(admin.site._registry)


def test_an_admin_creates_a_key_in_the_django_admin_with_a_credential(
    admin_client: Client, service_account: dict, service_account_json: str
) -> None:
    form = {"name": "from-admin", "project_id": "my-project", "region": "us-central1", "weight": "1", "enabled": "on",
            "new_credentials": service_account_json, **INLINES}

    response = admin_client.post(ADD, form, follow=True)

    assert response.status_code == 200
    key = VertexKey.objects.get(name="from-admin")
    assert key.credential_client_email == service_account["client_email"]
    assert AuditLog.objects.filter(action="create", object_id=str(key.pk)).exists()
    assert "PRIVATE KEY" not in response.content.decode()


def test_the_admin_form_refuses_a_bad_region_naming_it_and_saves_nothing(admin_client: Client) -> None:
    form = {"name": "bad", "project_id": "my-project", "region": "US-CENTRAL1", "weight": "1", **INLINES}

    response = admin_client.post(ADD, form)

    assert response.status_code == 200
    assert "vertex_key_config.region" in response.content.decode()
    assert not VertexKey.objects.exists()


def test_the_admin_form_never_renders_a_credential_back_after_an_error(admin_client: Client, service_account: dict) -> None:
    bad = json.dumps({**service_account, "token_uri": "http://169.254.169.254/x"})
    form = {"name": "k", "project_id": "my-project", "region": "us-central1", "weight": "1", "new_credentials": bad, **INLINES}

    response = admin_client.post(ADD, form)

    page = response.content.decode()
    assert response.status_code == 200 and "auth_credentials" in page
    assert "PRIVATE KEY" not in page and service_account["client_email"] not in page
    assert not VertexKey.objects.exists()


def test_deleting_a_key_in_the_admin_is_audited(admin_client: Client, admin_user: Any) -> None:
    from gateway_admin.services.keys import key_create

    key, _ = key_create(actor=admin_user, name="gone", config={"project_id": "my-project", "region": "us-central1"})

    response = admin_client.post(f"/admin/gateway_admin/vertexkey/{key.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not VertexKey.objects.exists()
    assert AuditLog.objects.filter(action="delete", object_repr="gone").exists()


def test_an_availability_override_needs_a_known_region(admin_client: Client) -> None:
    url = "/admin/gateway_admin/availabilityoverride/add/"

    refused = admin_client.post(url, {"model_id": "claude-3-5-haiku", "region": "moon-1", "served": "on"})
    accepted = admin_client.post(url, {"model_id": "claude-3-5-haiku", "region": "us-east5", "served": ""})

    assert refused.status_code == 200 and not AvailabilityOverride.objects.filter(region="moon-1").exists()
    assert accepted.status_code == 302
    assert AvailabilityOverride.objects.get().served is False


@pytest.mark.parametrize("model", ["auditlog", "requestlog", "deployment", "allowedmodel", "modellisting", "keyhealth", "videojob"])
def test_logs_and_derived_rows_are_read_only_in_the_admin(admin_client: Client, model: str) -> None:
    assert admin_client.get(f"/admin/gateway_admin/{model}/").status_code == 200
    assert admin_client.get(f"/admin/gateway_admin/{model}/add/").status_code == 403
