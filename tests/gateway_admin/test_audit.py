"""Audit log: one row per configuration change, credentials only as fingerprints."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from gateway_admin.models import AuditLog

pytestmark = pytest.mark.django_db

URL = "/api/v1/keys/"


def _create(client: Client, sa_json: str = "", name: str = "k") -> dict:
    body = {
        "name": name,
        "vertex_key_config": {
            "project_id": "my-project",
            "region": "us-central1",
            "auth_credentials": sa_json,
            "deployments": {"fast": "gemini-2.0-flash"},
        },
    }
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


def test_creating_a_key_records_who_and_what(admin_client: Client, admin_user: Any, service_account_json: str) -> None:
    key = _create(admin_client, service_account_json)

    row = AuditLog.objects.get(action="create", object_type="vertexkey")
    assert row.actor == admin_user and row.actor_label == admin_user.username
    assert row.object_id == str(key["id"]) and row.object_repr == "k"
    assert row.changes["region"] == [None, "us-central1"]
    assert row.changes["deployments"] == [None, {"fast": "gemini-2.0-flash"}]
    assert row.changes["credential"] == [None, key["credential"]["fingerprint"]]


def test_a_credential_change_shows_only_the_old_and_new_fingerprints(
    admin_client: Client, service_account_json: str, service_account_factory: Any
) -> None:
    key = _create(admin_client, service_account_json)
    new_sa = service_account_factory(name="rotated")

    response = admin_client.patch(
        f"{URL}{key['id']}/", {"vertex_key_config": {"auth_credentials": json.dumps(new_sa)}}, content_type="application/json"
    )

    row = AuditLog.objects.get(action="update")
    assert row.changes == {"credential": [key["credential"]["fingerprint"], response.json()["credential"]["fingerprint"]]}
    dumped = json.dumps(list(AuditLog.objects.values("changes", "object_repr")))
    assert "PRIVATE KEY" not in dumped
    assert new_sa["private_key_id"] not in dumped and new_sa["client_email"] not in dumped


def test_an_update_lists_only_the_fields_that_changed(admin_client: Client) -> None:
    key = _create(admin_client)

    admin_client.patch(f"{URL}{key['id']}/", {"weight": 4, "vertex_key_config": {"region": "us-east5"}}, content_type="application/json")

    assert AuditLog.objects.get(action="update").changes == {"weight": [1, 4], "region": ["us-central1", "us-east5"]}


def test_an_update_that_changes_nothing_writes_no_row(admin_client: Client) -> None:
    key = _create(admin_client)

    admin_client.patch(f"{URL}{key['id']}/", {"weight": 1}, content_type="application/json")

    assert not AuditLog.objects.filter(action="update").exists()


def test_a_change_made_with_an_api_token_is_labelled_with_the_token(admin_user: Any, admin_token: str) -> None:
    client = Client(headers={"Authorization": f"Bearer {admin_token}"})

    _create(client)

    row = AuditLog.objects.get(action="create", object_type="vertexkey")
    assert row.actor == admin_user
    assert row.actor_label == f"{admin_user.username} (token {admin_token[:12]}…)"


def test_deletes_imports_and_token_changes_are_recorded(admin_client: Client) -> None:
    key = _create(admin_client)
    admin_client.delete(f"{URL}{key['id']}/")
    admin_client.post(
        f"{URL}import/", [{"name": "imported", "vertex_key_config": {"project_id": "my-project", "region": "us-east5"}}], content_type="application/json"
    )
    token = admin_client.post("/api/v1/tokens/", {"name": "ci"}, content_type="application/json").json()
    admin_client.post(f"/api/v1/tokens/{token['id']}/revoke/")

    actions = set(AuditLog.objects.values_list("object_type", "action"))
    assert {("vertexkey", "delete"), ("vertexkey", "import"), ("apitoken", "create"), ("apitoken", "revoke")} <= actions
    assert token["token"] not in json.dumps(list(AuditLog.objects.values("changes", "object_repr", "actor_label")))


def test_the_audit_log_api_lists_newest_first_and_filters(admin_client: Client) -> None:
    _create(admin_client, name="a")
    _create(admin_client, name="b")

    rows = admin_client.get("/api/v1/audit-log/", {"object_type": "vertexkey"}).json()["results"]

    assert [r["object_repr"] for r in rows] == ["b", "a"]
    assert admin_client.get("/api/v1/audit-log/", {"action": "delete"}).json()["count"] == 0


def test_the_audit_log_api_is_read_only(admin_client: Client) -> None:
    _create(admin_client)
    row = AuditLog.objects.first()

    assert admin_client.post("/api/v1/audit-log/", {}, content_type="application/json").status_code == 405
    assert admin_client.delete(f"/api/v1/audit-log/{row.pk}/").status_code == 405
    assert AuditLog.objects.filter(pk=row.pk).exists()
