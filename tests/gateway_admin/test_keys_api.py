"""Config API: keys CRUD in the seed's shape, import/export, filters, pagination."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from gateway_admin.models import AuditLog, Deployment, VertexKey

pytestmark = pytest.mark.django_db

URL = "/api/v1/keys/"


def _config(service_account_json: str = "", **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "project_id": "my-project",
        "project_number": "123456789012",
        "region": "us-central1",
        "auth_credentials": service_account_json,
        "deployments": {"gemini-2.0-flash": "gemini-2.0-flash", "my-tuned": "1234567890"},
        "allowedModels": ["gemini-2.0-flash"],
    }
    config.update(overrides)
    return config


def _post(client: Client, url: str, body: Any, **extra: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json", **extra)


def _patch(client: Client, url: str, body: Any) -> Any:
    return client.patch(url, data=json.dumps(body), content_type="application/json")


def _put(client: Client, url: str, body: Any) -> Any:
    return client.put(url, data=json.dumps(body), content_type="application/json")


def test_it_creates_a_key_from_the_seed_shape_and_emits_it_without_the_credential(
    admin_client: Client, service_account: dict, service_account_json: str
) -> None:
    response = _post(admin_client, URL, {"name": "prod-us", "vertex_key_config": _config(service_account_json)})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "prod-us"
    assert body["enabled"] is True and body["weight"] == 1
    assert body["vertex_key_config"] == {
        "project_id": "my-project",
        "project_number": "123456789012",
        "region": "us-central1",
        "deployments": {"gemini-2.0-flash": "gemini-2.0-flash", "my-tuned": "1234567890"},
        "deployment_regions": {},
        "allowedModels": ["gemini-2.0-flash"],
    }
    assert body["credential"]["type"] == "service_account"
    assert body["credential"]["client_email"] == service_account["client_email"]
    assert body["credential"]["private_key_id"] == service_account["private_key_id"]
    assert len(body["credential"]["fingerprint"]) >= 16
    assert "auth_credentials" not in json.dumps(body)
    assert set(body) >= {"id", "warnings", "created_at", "updated_at"}
    key = VertexKey.objects.get(pk=body["id"])
    assert [d.alias for d in key.deployments.all()] == ["gemini-2.0-flash", "my-tuned"]


def test_it_treats_an_empty_credential_as_application_default_credentials(admin_client: Client) -> None:
    response = _post(admin_client, URL, {"name": "adc", "vertex_key_config": _config("")})

    assert response.status_code == 201, response.content
    assert response.json()["credential"] == {
        "type": "application_default",
        "client_email": "",
        "private_key_id": "",
        "fingerprint": "",
    }


def test_it_warns_when_a_deployment_model_is_not_served_in_the_region(admin_client: Client) -> None:
    config = _config(region="global", deployments={"haiku": "claude-3-5-haiku@20241022"}, allowedModels=[])

    response = _post(admin_client, URL, {"name": "global-key", "vertex_key_config": config})

    assert response.status_code == 201, response.content
    warnings = response.json()["warnings"]
    assert len(warnings) == 1
    assert "claude-3-5-haiku@20241022" in warnings[0] and "us-east5" in warnings[0]
    # The same warning is shown when the key is read back.
    assert admin_client.get(f"{URL}{response.json()['id']}/").json()["warnings"] == warnings


def test_it_warns_about_an_allowed_model_nothing_serves_but_saves_it(admin_client: Client) -> None:
    config = _config(allowedModels=["gemini-2.0-flash", "my-tuned", "gemini-2.5-pro", "gpt-4o"])

    response = _post(admin_client, URL, {"name": "phantom", "vertex_key_config": config})

    assert response.status_code == 201, response.content
    warnings = response.json()["warnings"]
    # gemini-2.0-flash and my-tuned are deployments, gemini-2.5-pro is a catalog model: only gpt-4o warns.
    assert len(warnings) == 1 and "allowedModels: gpt-4o" in warnings[0]
    assert response.json()["vertex_key_config"]["allowedModels"][-1] == "gpt-4o"
    assert admin_client.get(f"{URL}{response.json()['id']}/").json()["warnings"] == warnings


def test_a_region_override_silences_the_warning_and_is_stored(admin_client: Client) -> None:
    config = _config(
        region="global",
        deployments={"haiku": "claude-3-5-haiku@20241022"},
        deployment_regions={"haiku": "us-east5"},
        allowedModels=[],
    )

    response = _post(admin_client, URL, {"name": "global-key", "vertex_key_config": config})

    assert response.status_code == 201, response.content
    assert response.json()["warnings"] == []
    assert Deployment.objects.get(alias="haiku").region_override == "us-east5"


def test_patch_without_credentials_keeps_the_stored_secret(
    admin_client: Client, service_account: dict, service_account_json: str
) -> None:
    created = _post(admin_client, URL, {"name": "k", "vertex_key_config": _config(service_account_json)}).json()
    before = VertexKey.objects.get(pk=created["id"]).credentials_encrypted

    response = _patch(admin_client, f"{URL}{created['id']}/", {"vertex_key_config": {"region": "europe-west4"}})

    assert response.status_code == 200, response.content
    key = VertexKey.objects.get(pk=created["id"])
    assert key.region == "europe-west4"
    assert key.credentials_encrypted == before
    assert response.json()["credential"]["client_email"] == service_account["client_email"]
    # Fields not sent are kept too.
    assert response.json()["vertex_key_config"]["deployments"] == created["vertex_key_config"]["deployments"]


def test_put_replaces_the_config_but_keeps_the_secret_when_it_is_left_out(
    admin_client: Client, service_account_json: str
) -> None:
    created = _post(admin_client, URL, {"name": "k", "vertex_key_config": _config(service_account_json)}).json()

    response = _put(
        admin_client,
        f"{URL}{created['id']}/",
        {"name": "k2", "enabled": False, "weight": 5, "vertex_key_config": {"project_id": "other-project", "region": "us-east5"}},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "k2" and body["enabled"] is False and body["weight"] == 5
    assert body["vertex_key_config"]["deployments"] == {}
    assert body["vertex_key_config"]["allowedModels"] == []
    assert body["credential"]["type"] == "service_account"


def test_an_empty_credential_on_update_switches_to_default_credentials(
    admin_client: Client, service_account_json: str
) -> None:
    created = _post(admin_client, URL, {"name": "k", "vertex_key_config": _config(service_account_json)}).json()

    response = _patch(admin_client, f"{URL}{created['id']}/", {"vertex_key_config": {"auth_credentials": ""}})

    assert response.status_code == 200
    assert response.json()["credential"]["type"] == "application_default"
    assert VertexKey.objects.get(pk=created["id"]).credentials_encrypted == ""


def test_it_deletes_a_key_with_its_deployments(admin_client: Client) -> None:
    created = _post(admin_client, URL, {"name": "k", "vertex_key_config": _config()}).json()

    response = admin_client.delete(f"{URL}{created['id']}/")

    assert response.status_code == 204
    assert not VertexKey.objects.exists() and not Deployment.objects.exists()
    assert AuditLog.objects.filter(action="delete", object_repr="k").exists()


def test_export_emits_an_import_item_without_the_credential(admin_client: Client, service_account_json: str) -> None:
    created = _post(admin_client, URL, {"name": "k", "vertex_key_config": _config(service_account_json)}).json()

    exported = admin_client.get(f"{URL}{created['id']}/export/")

    assert exported.status_code == 200
    body = exported.json()
    assert body == {"name": "k", "enabled": True, "weight": 1, "region_failover": "any",
                    "vertex_key_config": created["vertex_key_config"]}
    assert "PRIVATE KEY" not in exported.content.decode()


def test_import_round_trips_an_export_and_updates_by_name(admin_client: Client, service_account_json: str) -> None:
    created = _post(admin_client, URL, {"name": "k", "vertex_key_config": _config(service_account_json)}).json()
    exported = admin_client.get(f"{URL}{created['id']}/export/").json()
    exported["vertex_key_config"]["region"] = "europe-west1"
    new_item = {"name": "fresh", "vertex_key_config": _config(region="us-east5")}

    response = _post(admin_client, f"{URL}import/", [exported, new_item])

    assert response.status_code == 200, response.content
    assert [k["name"] for k in response.json()] == ["k", "fresh"]
    assert VertexKey.objects.get(name="k").region == "europe-west1"
    # The export had no credential: the stored one is kept.
    assert VertexKey.objects.get(name="k").credentials_encrypted != ""
    assert VertexKey.objects.count() == 2


def test_import_is_all_or_nothing_and_names_the_item_and_field(admin_client: Client) -> None:
    good = {"name": "good", "vertex_key_config": _config()}
    bad = {"name": "bad", "vertex_key_config": _config(region="US-CENTRAL1")}

    response = _post(admin_client, f"{URL}import/", [good, bad])

    assert response.status_code == 400
    assert "[1].vertex_key_config.region" in response.json()["errors"]
    assert VertexKey.objects.count() == 0


def test_import_refuses_the_same_name_twice(admin_client: Client) -> None:
    item = {"name": "twice", "vertex_key_config": _config()}

    response = _post(admin_client, f"{URL}import/", [item, item])

    assert response.status_code == 400
    assert "[1].name" in response.json()["errors"]
    assert VertexKey.objects.count() == 0


def test_lists_are_paginated_and_filtered(admin_client: Client) -> None:
    for name, region, enabled in [("a-east", "us-east5", True), ("b-central", "us-central1", False), ("c-central", "us-central1", True)]:
        assert _post(admin_client, URL, {"name": name, "enabled": enabled, "vertex_key_config": _config(region=region)}).status_code == 201

    page = admin_client.get(URL, {"limit": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    assert [k["name"] for k in admin_client.get(URL, {"region": "us-central1"}).json()["results"]] == ["b-central", "c-central"]
    assert [k["name"] for k in admin_client.get(URL, {"enabled": "false"}).json()["results"]] == ["b-central"]
    assert [k["name"] for k in admin_client.get(URL, {"search": "east"}).json()["results"]] == ["a-east"]
    assert [k["name"] for k in admin_client.get(URL, {"ordering": "-name"}).json()["results"]] == ["c-central", "b-central", "a-east"]


def test_a_create_enqueues_a_model_listing_refresh_after_commit(
    admin_client: Client, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    calls: list[int] = []
    monkeypatch.setattr("gateway_admin.services.keys.listing_refresh_enqueue", lambda *, key_id: calls.append(key_id))

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(admin_client, URL, {"name": "k", "vertex_key_config": _config()})

    assert calls == [response.json()["id"]]


def test_an_unknown_api_path_is_a_json_404_that_suggests_the_slash(admin_client: Client) -> None:
    missing = admin_client.get("/api/v1/nothing-here/")
    no_slash = admin_client.get("/api/v1/keys")

    assert missing.status_code == 404 and missing.json() == {"detail": "Not found.", "code": "not_found", "errors": {}}
    assert no_slash.status_code == 404 and "/api/v1/keys/" in no_slash.json()["detail"]
    posted = Client(enforce_csrf_checks=True).post("/api/v1/keys/-1/models/refresh/")
    assert posted.status_code == 404 and posted.headers["Content-Type"] == "application/json"


def test_patching_deployments_keeps_the_overrides_of_the_aliases_that_remain(admin_client: Client) -> None:
    config = _config(
        deployments={"haiku": "claude-3-5-haiku@20241022", "opus": "claude-opus-4@20250514"},
        deployment_regions={"haiku": "us-east5", "opus": "europe-west1"},
        allowedModels=[],
    )
    created = _post(admin_client, URL, {"name": "k", "vertex_key_config": config}).json()

    response = _patch(admin_client, f"{URL}{created['id']}/", {"vertex_key_config": {"deployments": {"haiku": "claude-3-5-haiku@20241022"}}})

    assert response.status_code == 200, response.content
    assert response.json()["vertex_key_config"]["deployment_regions"] == {"haiku": "us-east5"}


def test_absurd_pagination_numbers_give_a_400_or_a_short_page_not_an_error(admin_client: Client) -> None:
    _post(admin_client, URL, {"name": "k", "vertex_key_config": _config()})

    huge_limit = admin_client.get(URL, {"limit": "88046060004443135410176"})
    huge_offset = admin_client.get(URL, {"offset": "88046060004443135410176"})

    # The schema says limit is 1..500: beyond it is refused, as documented, not quietly clamped.
    assert huge_limit.status_code == 400 and "limit" in huge_limit.json()["errors"]
    assert huge_offset.status_code == 200 and huge_offset.json()["results"] == []
